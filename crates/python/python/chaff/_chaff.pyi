"""Type stubs of chaff's native module (crates/python/src/lib.rs)."""

import os
from typing import Dict, Iterable, List, Literal, Optional, Tuple, Union

Label = Literal["article", "related", "recent", "directory", "copyright", "other"]
Role = Literal["headline", "caption", "body"]
Page = Union[str, bytes, bytearray, memoryview]

__version__: str

class ChaffError(Exception):
    """Base class of the errors chaff raises."""

class PageError(ChaffError):
    """A page chaff cannot read: too large, too many blocks, not text, broken gzip."""

    index: Optional[int]
    """The page's position in a ``classify_many`` batch, None for a single page."""

class ModelError(ChaffError):
    """A model file chaff cannot load."""

class BatchError(ChaffError):
    """Some pages of a ``classify_many`` batch could not be read."""

    results: List[Union[List[Block], PageError]]
    """Every page's result in input order, a PageError in place of each failed page."""
    failed: List[int]
    """The indices of the pages that failed."""

class Block:
    """A block of a page, with its label (the fields of ``chaff classify --format jsonl``)."""

    @property
    def index(self) -> int:
        """The block's place in the page, from 0, in document order."""
    @property
    def label(self) -> Label:
        """Its label."""
    @property
    def role(self) -> Optional[Role]:
        """For an article block, its part of the article; None for the others."""
    @property
    def confidence(self) -> float:
        """The probability of its label."""
    @property
    def probabilities(self) -> Dict[Label, float]:
        """All six labels' probabilities, by label name."""
    @property
    def words(self) -> int:
        """Its words (Unicode word runs)."""
    @property
    def path(self) -> str:
        """Where it is in the page: a CSS-like path of its element."""
    @property
    def text(self) -> str:
        """Its text."""
    def to_dict(self) -> Dict[str, object]:
        """The block as a dict with the keys of the CLI's JSONL (but file and url)."""

class Model:
    """A trained chaff model."""

    @staticmethod
    def default() -> Model:
        """The model embedded in chaff."""
    @staticmethod
    def load(path: Union[str, os.PathLike[str]]) -> Model:
        """Load a model file written by ``chaff train``; ModelError if it cannot be read."""
    def classify(
        self,
        html: Page,
        url: Optional[str] = None,
        *,
        plain_text: bool = False,
        raw_text: bool = False,
    ) -> List[Block]:
        """Label every block of a page; PageError when it cannot be read."""
    def extract(
        self,
        html: Page,
        mode: Literal["article", "body"] = "article",
        url: Optional[str] = None,
        *,
        plain_text: bool = False,
        raw_text: bool = False,
    ) -> str:
        """The page's article text (``article``) or its body (``body``), a block a line."""
    def classify_many(
        self,
        pages: Iterable[Union[Page, Tuple[Page, Optional[str]]]],
        jobs: Optional[int] = None,
        *,
        plain_text: bool = False,
        raw_text: bool = False,
        return_exceptions: bool = False,
    ) -> List[Union[List[Block], PageError]]:
        """Label many pages on ``jobs`` threads without the GIL; BatchError if some fail."""
