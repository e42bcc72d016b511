#!/usr/bin/env bash
# Score chaff and the Python peers on the same held-out pages, in one run, with the
# reference scorer (../shared/tools/evaluate.py): bag-of-words P/R/F1 per page, averaged,
# and milliseconds per page.
#
# usage: bench/compare.sh [SET] [LIMIT] [KIND] [MODEL...]
#   SET    a folder of ../shared/corpus with a manifest (default: article-only)
#   LIMIT  at most this many pages (default: 400)
#   KIND   all (default); news: only news and blog article pages (the collections
#          gathered from news sites, l3s-gn1 and dragnet, and pages WCXB types `article`);
#          or wcxb: only WCXB pages, of every page type (article, service, forum,
#          listing, product, collection, documentation)
#   MODEL  more model files (`chaff train --out`) to score beside the default, each in a
#          row of its own on the same pages
# Besides the default model's row (LABELS.md's article: headline, standfirst, body,
# captions), a row "chaff (body convention)" scores the same model without the headline and
# image captions (bench/chaff-body.sh), as trafilatura's and Readability's main text is.
# CHAFF_ROW_ARGS, when set, adds a row of the default model run with these `chaff
# classify` options too, e.g. CHAFF_ROW_ARGS="--prior-rescue 0.5".
# Pages whose outlet the default model (or a MODEL) trained on (six-class pages and the
# article prior's pages) are left out, so every page is from an
# outlet chaff never saw. The peers live in a throwaway virtualenv (target/peers-venv);
# they are never dependencies of chaff.
set -euo pipefail
set_name=${1:-article-only}
limit=${2:-400}
kind=${3:-all}
case "$kind" in all|news|wcxb) ;; *) echo "KIND is all, news or wcxb, not $kind" >&2; exit 2 ;; esac
. "$(dirname "$0")/models.sh"
models_from "${@:4}"
cd "$(dirname "$0")/.."
corpus=../shared/corpus
[ -d "$corpus/$set_name" ] || { echo "no $corpus/$set_name" >&2; exit 2; }

venv=target/peers-venv
if ! "$venv/bin/python" -c "import trafilatura, readability, justext, boilerpy3, resiliparse, html_text, html5lib" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q html5lib lxml lxml_html_clean resiliparse trafilatura readability-lxml justext boilerpy3 html-text
fi
cargo build --release -q

chaff="$PWD/target/release/chaff"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the held-out subset: outlets the default model did not train on, in a stable order
"$venv/bin/python" - "$corpus/$set_name" "$work" "$limit" "$kind" models/chaff-default.json.gz "${models[@]}" <<'PY'
import gzip, json, os, sys
src, dst, limit, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def is_news(r):
    return r.get("source") in ("l3s-gn1", "dragnet") or r.get("page_type") == "article"
seen = set()
for path in sys.argv[5:]:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        model = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        seen |= set(model["training"]["outlets"]) | set(model["training"]["article_prior_outlets"])
    except KeyError as e:
        sys.exit(f"{path}: not a chaff model file (no field {e})")
    except (ValueError, TypeError, OSError) as e:
        sys.exit(f"{path}: not a chaff model file ({e})")
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
    if kind == "news" and not is_news(r):
        continue
    if kind == "wcxb" and r.get("source") != "wcxb":
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
echo "date: $(date -u +%Y-%m-%d), command: ${CHAFF_ROW_ARGS:+CHAFF_ROW_ARGS=\"$CHAFF_ROW_ARGS\" }bench/compare.sh $set_name $limit $kind${4:+ ${*:4}}"
"$venv/bin/python" "$corpus/../tools/evaluate.py" "$work" \
  --systems trafilatura,readability,justext,boilerpy3,resiliparse,html_text \
  --chaff "$chaff" --chaff-args "--jobs 1" --json "$work/report.json"
# one more row in the report: extra_row NAME CMD ARGS... (the chaff command of that row and
# its classify options)
extra_row() {
  local name=$1 cmd=$2
  shift 2
  "$venv/bin/python" "$corpus/../tools/evaluate.py" "$work" \
    --chaff "$cmd" --chaff-args "--jobs 1 $*" --json "$work/row.json"
  "$venv/bin/python" - "$work/report.json" "$work/row.json" "$name" <<'PY'
import json, sys
report, extra = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
report[f"chaff ({sys.argv[3]})"] = extra["chaff"]
json.dump(report, open(sys.argv[1], "w"), indent=1)
PY
}
# the same model in the body convention (headline and captions left out): the gold of
# ScrapingHub's news benchmark and the main text of trafilatura and Readability
extra_row "body convention" "$PWD/bench/chaff-body.sh $chaff"
for m in "${models[@]}"; do
  extra_row "$(basename "$m")" "$chaff" --model "$m"
done
if [ -n "${CHAFF_ROW_ARGS:-}" ]; then
  # shellcheck disable=SC2086 # the options are words on purpose
  extra_row "$CHAFF_ROW_ARGS" "$chaff" $CHAFF_ROW_ARGS
fi
"$venv/bin/python" - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\n| system | pages | P | R | F1 | median F1 | ms/page |")
print("|---|---|---|---|---|---|---|")
for name, s in sorted(r.items(), key=lambda kv: -kv[1]["F1"]):
    print(f"| {name} | {s['pages']} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | {s['F1_median']:.3f} | {s['ms_per_page']:.1f} |")
PY
