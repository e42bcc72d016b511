"""Classify pages with chaff on Spark, in local mode: the `chaff` Python package in a
`mapPartitions` stage.

Each partition classifies its pages with `chaff.classify_many`, which lets go of the GIL and
uses the executor's cores (`--jobs`), and yields one row per page: its id, its url and its
blocks' labels. A page chaff cannot read becomes a row with its error instead of failing
the stage.

usage: python classify_pages.py [--pages N] [--partitions K] [--jobs J] [--out FILE]
It generates N pages itself and checks that every page comes back exactly once with a
label for each of its blocks.
"""
import argparse
import json
import os
import sys

from pyspark.sql import SparkSession

LABELS = {"article", "related", "recent", "directory", "copyright", "other"}


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
        yield {"id": i, "url": f"http://site{i % 13}.example/{i}", "html": html}


def classify_partition(rows, jobs):
    """A mapPartitions function: the partition's pages, classified in one call."""
    import chaff  # imported on the executor

    rows = list(rows)
    results = chaff.classify_many(
        [(r["html"], r["url"]) for r in rows], jobs=jobs, return_exceptions=True
    )
    for row, result in zip(rows, results):
        out = {"id": row["id"], "url": row["url"]}
        if isinstance(result, chaff.PageError):
            out["error"] = str(result)
        else:
            out["blocks"] = [
                {"label": b.label, "confidence": b.confidence, "text": b.text}
                for b in result
            ]
        yield out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=1, help="threads per partition")
    ap.add_argument("--out", default="")
    a = ap.parse_args()

    # executors run this Python (where chaff is installed), not the first python3 on the PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("chaff-classify")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    rdd = spark.sparkContext.parallelize(list(generated_pages(a.pages)), a.partitions)
    jobs = a.jobs
    pages = rdd.mapPartitions(lambda rows: classify_partition(rows, jobs)).collect()
    spark.stop()

    ids = sorted(p["id"] for p in pages)
    ok = ids == list(range(a.pages)) and all(
        p.get("blocks") and all(b["label"] in LABELS for b in p["blocks"]) for p in pages)
    if a.out:
        with open(a.out, "w") as f:
            for p in pages:
                f.write(json.dumps(p) + "\n")
    print(f"{len(pages)} pages back from {a.partitions} partitions; "
          f"every page exactly once with labels: {ok}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
