"""Classify pages with chaff as a map stage on Spark (RDD.pipe), in local mode.

Each page travels as one JSON line {"id": ..., "url": ..., "html": ...}; chaff reads them
on stdin (`classify --input jsonl --format pages -`) and writes one JSON line per page with
its labelled blocks. The same command works as a Hadoop Streaming mapper.

usage: python classify_pages.py --chaff PATH/TO/chaff [--pages N] [--partitions K] [--out FILE]
With no input file, it generates N pages itself and checks that every page comes back
exactly once with a label for each of its blocks.
"""
import argparse
import json
import sys

from pyspark.sql import SparkSession


def generated_pages(n):
    for i in range(n):
        html = (
            f"<html><head><title>Story {i}</title></head><body>"
            f"<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
            f"<h1>Story number {i} about the harbour</h1>"
            f"<p>This is the body of story {i}. It has a few sentences of text, "
            f"enough to look like an article paragraph about the harbour and the city.</p>"
            f"<footer><p>© 2024 Example {i % 7}</p></footer></body></html>"
        )
        yield json.dumps({"id": i, "url": f"http://site{i % 13}.example/{i}", "html": html})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chaff", required=True)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--out", default="")
    a = ap.parse_args()

    spark = (SparkSession.builder.master("local[2]").appName("chaff-classify")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    lines = list(generated_pages(a.pages))
    rdd = spark.sparkContext.parallelize(lines, a.partitions)
    results = rdd.pipe(f"{a.chaff} classify --input jsonl --format pages --jobs 1 -").collect()
    spark.stop()

    pages = [json.loads(r) for r in results]
    ids = sorted(p["id"] for p in pages)
    labels = {"article", "related", "recent", "directory", "copyright", "other"}
    ok = ids == list(range(a.pages)) and all(
        p["blocks"] and all(b["label"] in labels for b in p["blocks"]) for p in pages)
    if a.out:
        with open(a.out, "w") as f:
            for p in pages:
                f.write(json.dumps(p) + "\n")
    print(f"{len(pages)} pages back from {a.partitions} partitions; "
          f"every page exactly once with labels: {ok}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
