"""Shared fixtures: the repository's root and the `chaff` binary to compare with."""
import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def chaff_bin():
    """The CLI the package must agree with: $CHAFF_BIN (set by tests/python.rs), else the
    release build, else `chaff` on the PATH."""
    for candidate in (os.environ.get("CHAFF_BIN"), ROOT / "target/release/chaff", shutil.which("chaff")):
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    pytest.fail("no chaff binary: set CHAFF_BIN or run cargo build --release")


@pytest.fixture(scope="session")
def bundled_pages(root):
    """The pages the repository bundles: the README's example and the mini dataset."""
    pages = sorted((root / "datasets/examples").glob("*.html")) + sorted(
        (root / "datasets/mini").glob("*.html")
    )
    assert len(pages) >= 5, pages
    return pages
