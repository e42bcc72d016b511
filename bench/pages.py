"""Write the first N pages of a corpus folder (its manifest.jsonl order) into DST as plain
.html files, decompressed: the pages the throughput benchmarks time.

usage: python bench/pages.py SRC DST N
"""
import gzip
import json
import os
import sys

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(line) for line in open(os.path.join(src, "manifest.jsonl"))][:n]
total = 0
for i, r in enumerate(rows):
    b = open(os.path.join(src, r["html"]), "rb").read()
    if b[:2] == b"\x1f\x8b":
        b = gzip.decompress(b)
    total += len(b)
    open(os.path.join(dst, f"{i:05d}.html"), "wb").write(b)
print(f"{len(rows)} pages, {total / len(rows) / 1024:.0f} KiB on average", file=sys.stderr)
