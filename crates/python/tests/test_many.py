"""chaff.classify_many: every page, in input order, on every core, without the GIL."""
import threading
import time

import pytest

import chaff


def labels(blocks):
    return [(b.label, b.text, b.confidence) for b in blocks]


def test_the_same_as_one_at_a_time_in_input_order(bundled_pages):
    pages = [p.read_bytes() for p in bundled_pages] * 3
    one_by_one = [labels(chaff.classify(p)) for p in pages]
    for jobs in (None, 1, 3):
        assert [labels(b) for b in chaff.classify_many(pages, jobs=jobs)] == one_by_one


def test_pages_with_their_addresses_and_any_iterable(bundled_pages):
    html = bundled_pages[0].read_bytes()
    url = "http://example.com/story"
    items = ((html, url), (html.decode(), None), html)
    got = chaff.classify_many(item for _ in range(2) for item in items)
    assert len(got) == 6
    assert labels(got[0]) == labels(chaff.classify(html, url))
    assert labels(got[1]) == labels(chaff.classify(html))
    assert chaff.classify_many([]) == []


def test_a_broken_page_does_not_lose_the_others(bundled_pages):
    good = bundled_pages[0].read_bytes()
    pages = [good, b"\x1f\x8b\x08\x00broken", good, b"\x1f\x8b\x08\x00also broken"]
    with pytest.raises(chaff.BatchError, match="2 of 4 pages could not be read") as e:
        chaff.classify_many(pages)
    assert e.value.failed == [1, 3]
    results = e.value.results
    assert labels(results[0]) == labels(results[2]) == labels(chaff.classify(good))
    assert isinstance(results[1], chaff.PageError) and results[1].index == 1
    assert "page 3:" in str(results[3])
    returned = chaff.classify_many(pages, return_exceptions=True)
    assert [type(r) for r in returned] == [list, chaff.PageError, list, chaff.PageError]


def test_the_gil_is_released_while_pages_are_classified(bundled_pages):
    pages = [p.read_bytes() for p in bundled_pages] * 200
    window = {}

    def work():
        window["start"] = time.perf_counter()
        chaff.classify_many(pages, jobs=1)
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    inside = [t for t in ticks if window["start"] < t < window["end"]]
    # holding the GIL, the call would leave this thread a few switch intervals at most
    assert window["end"] - window["start"] > 0.2
    assert len(inside) > 10_000, (len(inside), window["end"] - window["start"])
