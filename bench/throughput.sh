#!/usr/bin/env bash
# Whole-process throughput: chaff classify over N pages of ../shared/corpus/article-only,
# single-threaded and on all cores, side by side with trafilatura and Resiliparse on the
# same pages in the same run; pages/s and peak RSS (GNU time).
#
# usage: bench/throughput.sh [N] [MODEL...]
#   N      pages (default 300)
#   MODEL  more model files (`chaff train --out`) to time beside the default, one core each
set -euo pipefail
n=${1:-300}
. "$(dirname "$0")/models.sh"
models_from "${@:2}"
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
venv=target/peers-venv
# lxml_html_clean: trafilatura needs it and lxml 5.2+ no longer holds it
if ! "$venv/bin/python" -c "import trafilatura, resiliparse" 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q trafilatura resiliparse lxml_html_clean
fi
"$venv/bin/python" -c "import trafilatura, resiliparse" \
  || { echo "the peers do not import: see the error above" >&2; exit 1; }
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the first N pages, decompressed, as plain .html files
"$venv/bin/python" bench/pages.py ../shared/corpus/article-only "$work" "$n"
run() { # name, command...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time.txt" "$@" > /dev/null 2> "$work/err.txt" || true
  end=$(date +%s.%N)
  local rss secs
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  secs=$(echo "$end - $start" | bc -l)
  printf "| %s | %.2f | %.1f | %.0f |\n" "$name" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}
cat > "$work/peer.py" <<'PY'
import sys, glob
name, folder = sys.argv[1], sys.argv[2]
if name == "trafilatura":
    import trafilatura
    f = lambda h: trafilatura.extract(h)
else:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree
    f = lambda h: extract_plain_text(HTMLTree.parse(h), main_content=True)
for p in sorted(glob.glob(folder + "/*.html")):
    h = open(p, "rb").read().decode("utf-8", "replace")
    try:
        f(h)
    except Exception:
        pass
PY
echo "date: $(date -u +%Y-%m-%d), command: bench/throughput.sh $n${2:+ ${*:2}}, cores: $(nproc)"
echo "| system | seconds | pages/s | peak RSS MiB |"
echo "|---|---|---|---|"
run "chaff --jobs 1" target/release/chaff classify --format jsonl --jobs 1 "$work"
for m in "${models[@]}"; do
  run "chaff --jobs 1 ($(basename "$m"))" target/release/chaff classify --format jsonl --jobs 1 --model "$m" "$work"
done
run "chaff (all cores)" target/release/chaff classify --format jsonl "$work"
run "trafilatura (1 core)" "$venv/bin/python" "$work/peer.py" trafilatura "$work"
run "resiliparse (1 core)" "$venv/bin/python" "$work/peer.py" resiliparse "$work"
