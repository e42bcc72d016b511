#!/usr/bin/env bash
# `chaff` as the reference scorer runs it, in the body convention: blocks whose role is
# the headline or an image caption come out labelled `other`, so the article words are
# those of `chaff classify --extract body` (the main text of trafilatura's and
# Readability's convention). bench/compare.sh runs it as one more row.
# usage: bench/chaff-body.sh CHAFF ARGS...   (CHAFF: the binary; ARGS: chaff's own)
set -euo pipefail
chaff=$1
shift
"$chaff" "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o.get("role") in ("headline", "caption"):
        o["label"] = "other"
    sys.stdout.write(json.dumps(o) + "\n")
'
