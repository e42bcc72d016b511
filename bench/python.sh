#!/usr/bin/env bash
# chaff from Python: pages per second of the `chaff` package (built from crates/python into a
# throwaway virtualenv) beside trafilatura and Resiliparse on the same N pages of
# ../shared/corpus/article-only, in one Python process, one page after another; and the
# `chaff` command over the same pages (whole process, one thread), for the per-page cost
# of going through Python.
#
# usage: bench/python.sh [N]     N pages (default 300)
set -euo pipefail
n=${1:-300}
cd "$(dirname "$0")/.."
venv=target/peers-venv
# lxml_html_clean: trafilatura needs it and lxml 5.2+ no longer holds it
if ! "$venv/bin/python" -c "import trafilatura, resiliparse, maturin" 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q trafilatura resiliparse lxml_html_clean maturin
fi
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" -m maturin build --release -q -m crates/python/Cargo.toml \
  -i "$venv/bin/python" -o "$work/wheels" 2> "$work/maturin.txt" \
  || { cat "$work/maturin.txt" >&2; exit 1; }
"$venv/bin/pip" install -q --force-reinstall --no-deps "$work"/wheels/*.whl
mkdir "$work/pages"
"$venv/bin/python" bench/pages.py ../shared/corpus/article-only "$work/pages" "$n"
echo "date: $(date -u +%Y-%m-%d), command: bench/python.sh $n, cores: $(nproc)"
echo "| system | seconds | pages/s | ms a page |"
echo "|---|---|---|---|"
start=$(date +%s.%N)
target/release/chaff classify --format jsonl --jobs 1 "$work/pages" > /dev/null
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
printf "| chaff command, --jobs 1 (whole process) | %.2f | %.1f | %.2f |\n" \
  "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "1000 * $secs / $n" | bc -l)"
"$venv/bin/python" - "$work/pages" <<'PY'
import glob, sys, time

folder = sys.argv[1]
pages = [open(p, "rb").read() for p in sorted(glob.glob(folder + "/*.html"))]
texts = [p.decode("utf-8", "replace") for p in pages]

import chaff
import trafilatura
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

chaff.Model.default()  # the embedded model is read once, on first use: not timed


def each(f, inputs):
    def run():
        for x in inputs:
            try:
                f(x)
            except Exception:
                pass
    return run


systems = [
    ("chaff.classify, a page a call", each(chaff.classify, pages)),
    ("chaff.classify_many(jobs=1)", lambda: chaff.classify_many(pages, jobs=1, return_exceptions=True)),
    ("chaff.classify_many (all cores)", lambda: chaff.classify_many(pages, return_exceptions=True)),
    ("trafilatura.extract", each(trafilatura.extract, texts)),
    ("resiliparse main content", each(lambda h: extract_plain_text(HTMLTree.parse(h), main_content=True), texts)),
]
for name, run in systems:
    start = time.perf_counter()
    run()
    secs = time.perf_counter() - start
    print(f"| {name} | {secs:.2f} | {len(pages) / secs:.1f} | {1000 * secs / len(pages):.2f} |")
PY
