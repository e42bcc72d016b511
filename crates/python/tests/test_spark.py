"""examples/spark: the package in a mapPartitions stage, in Spark's local mode."""
import shutil
import subprocess
import sys

import pytest


def test_spark_example_returns_every_page_once(root):
    pytest.importorskip("pyspark", reason="pyspark is not installed (see .ci/run)")
    if shutil.which("java") is None:
        pytest.skip("no Java, which Spark needs")
    o = subprocess.run(
        [sys.executable, str(root / "examples/spark/classify_pages.py"),
         "--pages", "300", "--partitions", "6", "--jobs", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert o.returncode == 0, o.stdout + o.stderr
    assert "300 pages back from 6 partitions; every page exactly once with labels: True" in o.stdout
