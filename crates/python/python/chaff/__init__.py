"""chaff: label the blocks of web pages.

Every text block of a page gets one of six labels: ``article`` (the main content),
``related`` (links and teasers related to the story), ``recent`` (recent or popular
stories), ``directory`` (site navigation), ``copyright`` (legal lines) or ``other``.
The model chaff ships is embedded in this package: no other file is needed.

    import chaff
    for block in chaff.classify(open("page.html", "rb").read()):
        print(block.label, block.confidence, block.text)
    body = chaff.extract(page_bytes, mode="body")

The functions here use the default model; ``chaff.Model.load(path)`` reads a model
trained with ``chaff train``, which has the same methods.
"""

from __future__ import annotations

from typing import Iterable, List, Literal, Optional, Tuple, Union

from ._chaff import (
    BatchError,
    Block,
    ChaffError,
    Model,
    ModelError,
    PageError,
    __version__,
)

__all__ = [
    "Block",
    "Model",
    "ChaffError",
    "PageError",
    "ModelError",
    "BatchError",
    "LABELS",
    "classify",
    "extract",
    "classify_many",
    "__version__",
]

#: The six labels, in the order of ``Block.probabilities``.
LABELS: Tuple[str, ...] = ("article", "related", "recent", "directory", "copyright", "other")

Page = Union[str, bytes]


def classify(
    html: Page,
    url: Optional[str] = None,
    *,
    plain_text: bool = False,
    raw_text: bool = False,
) -> List[Block]:
    """Label every block of one page with the default model.

    ``html`` is ``str`` (text already decoded) or ``bytes`` (any encoding, decoded as a
    browser would: byte-order mark, then ``<meta charset>``, else a guess; gzip is undone).
    ``url`` is the page's address, used when the page declares none. ``plain_text`` reads
    the page as plain text, a block a line. Text comes out searchable (Unicode NFC, no soft
    hyphens or zero-width spaces) unless ``raw_text``.

    Returns the blocks in document order. Raises :class:`PageError` when the page cannot
    be read, ``TypeError`` when ``html`` is neither ``str`` nor ``bytes``.
    """
    return Model.default().classify(html, url, plain_text=plain_text, raw_text=raw_text)


def extract(
    html: Page,
    mode: Literal["article", "body"] = "article",
    url: Optional[str] = None,
    *,
    plain_text: bool = False,
    raw_text: bool = False,
) -> str:
    """The page's article text, a block a line, with the default model.

    ``mode="article"``: headline, standfirst, body and captions (the article as chaff's
    labelling guide and WCXB count it). ``mode="body"``: without the headline and image
    captions (the main text of trafilatura, Readability and ScrapingHub's benchmark).
    """
    return Model.default().extract(
        html, mode, url, plain_text=plain_text, raw_text=raw_text
    )


def classify_many(
    pages: Iterable[Union[Page, Tuple[Page, Optional[str]]]],
    jobs: Optional[int] = None,
    *,
    plain_text: bool = False,
    raw_text: bool = False,
    return_exceptions: bool = False,
) -> List[Union[List[Block], PageError]]:
    """Label the blocks of many pages at once with the default model, on ``jobs`` threads
    (all cores when None), without holding the GIL.

    Each page is ``str``, ``bytes`` or a pair ``(page, url)``. Returns one list of blocks
    per page, in input order. A page that cannot be read does not stop the others: they
    are all classified, then :class:`BatchError` is raised carrying every result
    (``err.results``, a :class:`PageError` in place of each failed page; ``err.failed``,
    their indices). With ``return_exceptions=True`` that list is returned instead.
    """
    return Model.default().classify_many(
        pages,
        jobs,
        plain_text=plain_text,
        raw_text=raw_text,
        return_exceptions=return_exceptions,
    )
