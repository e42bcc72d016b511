#!/usr/bin/env bash
# Score chaff and the Python peers on the same held-out pages, in one run, with the
# reference scorer (../shared/tools/evaluate.py): bag-of-words P/R/F1 per page, averaged,
# and milliseconds per page.
#
# usage: bench/compare.sh [SET] [LIMIT]
#   SET    a folder of ../shared/corpus with a manifest (default: article-only)
#   LIMIT  at most this many pages (default: 400)
# Pages whose outlet the default model trained on (six-class pages and the article prior's
# pages) are left out, so every page is from an
# outlet chaff never saw. The peers live in a throwaway virtualenv (target/peers-venv);
# they are never dependencies of chaff.
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:-article-only}
limit=${2:-400}
corpus=../shared/corpus
[ -d "$corpus/$set_name" ] || { echo "no $corpus/$set_name" >&2; exit 2; }

venv=target/peers-venv
if ! "$venv/bin/python" -c "import trafilatura, readability, justext, boilerpy3, resiliparse, html_text, html5lib" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q html5lib lxml resiliparse trafilatura readability-lxml justext boilerpy3 html-text
fi
cargo build --release -q

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the held-out subset: outlets the default model did not train on, in a stable order
"$venv/bin/python" - "$corpus/$set_name" "$work" "$limit" <<'PY'
import gzip, json, os, sys
src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = json.loads(gzip.open("models/chaff-default.json.gz").read())
seen = set(model["training"]["outlets"]) | set(model["training"]["article_prior_outlets"])
def outlet(d):
    d = (d or "").lower()
    parts = d.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else d
seen2 = {outlet(o) for o in seen}
rows = []
for line in open(os.path.join(src, "manifest.jsonl")):
    r = json.loads(line)
    if outlet(r.get("domain")) in seen2:
        continue
    for k in ("html", "article", "file"):
        if k in r:
            r[k] = os.path.abspath(os.path.join(src, r[k]))
    rows.append(r)
rows = rows[:limit]
with open(os.path.join(dst, "manifest.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
print(f"{len(rows)} held-out pages from {len({r.get('domain') for r in rows})} outlets", file=sys.stderr)
PY
echo "date: $(date -u +%Y-%m-%d), command: bench/compare.sh $set_name $limit"
"$venv/bin/python" "$corpus/../tools/evaluate.py" "$work" \
  --systems trafilatura,readability,justext,boilerpy3,resiliparse,html_text \
  --chaff "$PWD/target/release/chaff" --chaff-args "--jobs 1" --json "$work/report.json"
"$venv/bin/python" - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\n| system | pages | P | R | F1 | median F1 | ms/page |")
print("|---|---|---|---|---|---|---|")
for name, s in sorted(r.items(), key=lambda kv: -kv[1]["F1"]):
    print(f"| {name} | {s['pages']} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | {s['F1_median']:.3f} | {s['ms_per_page']:.1f} |")
PY
