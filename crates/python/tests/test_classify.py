"""chaff.classify and chaff.extract: the CLI's labels, from str or bytes in any encoding."""
import gzip
import json
import subprocess

import pytest

import chaff


def cli_blocks(chaff_bin, page):
    out = subprocess.run(
        [chaff_bin, "classify", "--format", "jsonl", str(page)],
        check=True, capture_output=True, text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_same_blocks_and_labels_as_the_cli(chaff_bin, bundled_pages):
    for page in bundled_pages:
        want = cli_blocks(chaff_bin, page)
        got = chaff.classify(page.read_bytes())
        assert len(got) == len(want), page
        for g, w in zip(got, want):
            d = g.to_dict()
            for key in ("index", "label", "role", "words", "path", "text"):
                assert d[key] == w[key], (page, key, d, w)
            assert d["confidence"] == pytest.approx(w["confidence"], abs=1e-9)
            for label, p in w["probabilities"].items():
                assert g.probabilities[label] == pytest.approx(p, abs=1e-9)


def test_extract_is_the_clis(chaff_bin, bundled_pages):
    for page in bundled_pages:
        for mode in ("article", "body"):
            want = subprocess.run(
                [chaff_bin, "classify", "--extract", mode, str(page)],
                check=True, capture_output=True, text=True,
            ).stdout
            assert chaff.extract(page.read_bytes(), mode=mode) + "\n" == want, (page, mode)


def test_body_leaves_out_the_headline(root):
    html = (root / "datasets/examples/news.html").read_bytes()
    blocks = chaff.classify(html)
    headlines = [b.text for b in blocks if b.role == "headline"]
    assert headlines, [b.to_dict() for b in blocks]
    article = chaff.extract(html).splitlines()
    body = chaff.extract(html, mode="body").splitlines()
    assert headlines[0] in article and headlines[0] not in body
    assert set(body) < set(article)
    assert {b.label for b in blocks} <= set(chaff.LABELS)


STORY = (
    "Привет из Москвы. Grüße aus Köln, naïve café. 東京の港で新しい橋の工事が始まった。"
    " The council voted on Tuesday to build a bridge across the river for cyclists."
)


def page(charset):
    return (
        f'<html><head><meta charset="{charset}"><title>Bridge</title></head>'
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<h1>Bridge</h1><p>{STORY}</p><footer>© 2024 Gazette</footer></body></html>"
    )


@pytest.mark.parametrize("charset", ["utf-8", "windows-1251", "shift_jis", "gb18030", "utf-16"])
def test_bytes_in_odd_encodings_read_as_the_str(charset):
    text = page(charset)
    want = [(b.label, b.text) for b in chaff.classify(text)]
    assert any(STORY in t for _, t in want)
    if charset in ("windows-1251", "shift_jis"):
        # what these cannot encode becomes a character reference, as browsers submit it
        raw = text.encode(charset, errors="xmlcharrefreplace")
        want = [(b.label, b.text) for b in chaff.classify(raw.decode(charset))]
    else:
        raw = text.encode(charset)  # utf-16: with a byte-order mark
    got = [(b.label, b.text) for b in chaff.classify(raw)]
    assert got == want


def test_gzip_bytes_and_bytearray_and_a_meta_charset_in_a_str():
    text = page("utf-8")
    want = [(b.label, b.text) for b in chaff.classify(text)]
    assert [(b.label, b.text) for b in chaff.classify(gzip.compress(text.encode()))] == want
    assert [(b.label, b.text) for b in chaff.classify(bytearray(text.encode()))] == want
    # a str is text already: its <meta charset> does not decode it a second time
    latin = page("windows-1252")
    assert any(STORY in b.text for b in chaff.classify(latin))


def test_plain_text():
    text = "Bridge opens\nThe council voted on Tuesday to build a bridge across the river.\n© 2024 Gazette\n"
    blocks = chaff.classify(text, plain_text=True)
    assert [b.text for b in blocks] == text.strip().splitlines()
    assert chaff.classify(text.encode("utf-16"), plain_text=True)[1].text == blocks[1].text


def test_raw_text_keeps_soft_hyphens():
    html = "<p>Bridge con\u00adstruction begins on Tuesday across the river</p>"
    assert "\u00ad" not in chaff.classify(html)[0].text
    assert "\u00ad" in chaff.classify(html, raw_text=True)[0].text


def test_url_is_used_when_the_page_declares_none():
    html = (
        "<html><body><p>A story about the new bridge that crosses the river, "
        "with enough words to read as one.</p>"
        "<a href='http://example.com/a'>Elsewhere</a></body></html>"
    )
    # the page's own host changes which links count as the site's own
    a = chaff.classify(html, url="http://example.com/story")
    b = chaff.classify(html, url="http://other.org/story")
    assert [x.text for x in a] == [x.text for x in b]
    assert [x.probabilities for x in a] != [x.probabilities for x in b]
