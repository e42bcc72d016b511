"""Bad input raises chaff's typed exceptions, naming what is wrong."""
import pytest

import chaff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" * 4


def test_a_broken_gzip_page_raises_page_error():
    with pytest.raises(chaff.PageError, match="cannot decompress gzip data") as e:
        chaff.classify(b"\x1f\x8b\x08\x00broken")
    assert e.value.index is None
    assert isinstance(e.value, chaff.ChaffError)


def test_a_binary_file_is_not_a_page():
    with pytest.raises(chaff.PageError, match="not text"):
        chaff.extract(PNG)


def test_utf16_text_without_its_byte_order_mark():
    with pytest.raises(chaff.PageError, match="UTF-16"):
        chaff.classify("a story about the bridge".encode("utf-16-le"), plain_text=True)


def test_wrong_types_and_values():
    with pytest.raises(TypeError, match="str or bytes, got int"):
        chaff.classify(42)
    with pytest.raises(TypeError):
        chaff.classify(None)
    with pytest.raises(ValueError, match='"article".*"body".*got "headline"'):
        chaff.extract("<p>text</p>", mode="headline")
    with pytest.raises(ValueError, match="jobs"):
        chaff.classify_many(["<p>text</p>"], jobs=0)
    with pytest.raises(TypeError, match="for one page, call classify"):
        chaff.classify_many("<p>one page</p>")
    with pytest.raises(TypeError, match="pair"):
        chaff.classify_many([("<p>text</p>", None, "extra")])


def test_a_model_file_that_is_missing_or_not_a_model(tmp_path):
    with pytest.raises(chaff.ModelError, match="nowhere.json.gz"):
        chaff.Model.load(tmp_path / "nowhere.json.gz")
    junk = tmp_path / "junk.json"
    junk.write_text('{"not": "a model"}')
    with pytest.raises(chaff.ModelError, match="junk.json"):
        chaff.Model.load(str(junk))


def test_a_model_file_loads_and_labels_as_the_embedded_one(root):
    model = chaff.Model.load(root / "models/chaff-default.json.gz")
    html = (root / "datasets/examples/news.html").read_bytes()
    assert [b.to_dict() for b in model.classify(html)] == [
        b.to_dict() for b in chaff.Model.default().classify(html)
    ]
    assert "members=2" in repr(model) or "members=" in repr(model)
