"""The bounds on what may enter the store, in one frozen record, and the check of a document.

`Limits` is built once from the settings (rag.wiring) and held by the Ingestor, which checks every
``Document`` it is handed with `check_document`, whatever made it: a file, a fetched page, a feed
item, an upload, an eval corpus. The loaders take the same record to stop early (a PDF bomb while
it is being extracted, a JSONL row at its line), but the Ingestor's check is the one that counts.

What happens to a field over its limit:

- text, id, URL: the document is refused, with an ``InputError`` naming its file (and line) or URL
  and the limit. Cutting them would change what the document says or where it points, and two
  long ids cut alike would become one.
- title (and author, site): refused when a person wrote it (a JSONL field, front matter); the
  title a web page, a PDF's metadata or a feed declares is cut to the limit by the loader
  (`fit_title`): it is only a label, and the cut loses nothing of the article.
- ids and URLs are bounded in UTF-8 bytes as well (`INDEXED_BYTES`): PostgreSQL indexes both, a
  btree entry holds at most 2,704 bytes, and 2,048 characters of Chinese are 6,144 bytes.
- NUL and lone surrogates are refused in every field (neither store can hold them: PostgreSQL text
  has no NUL, UTF-8 has no surrogates), and so are bidirectional controls in ids, which let one id
  display as another (``U+202E`` turns ``evil`` around).

Not here: the size of a file in bytes is checked by the loaders alone (only they see files), and
a feed's own title (index.feed_tables).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.records import Document
from rag.errors import InputError

# Below PostgreSQL's btree entry limit (2,704 bytes) with room for the entry's own overhead and
# the sequence number an index on (doc_id, seq) adds.
INDEXED_BYTES = 2048
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Limits:
    """Caps on one document (and on one file, or JSONL line, as read from disk)."""

    file_bytes: int  # max_file_mb, in bytes
    text_chars: int  # max_text_chars
    id_chars: int  # max_id_chars
    title_chars: int  # max_title_chars (also author and site names)
    url_chars: int  # max_url_chars

    def __post_init__(self) -> None:
        for name in ("file_bytes", "text_chars", "id_chars", "title_chars", "url_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    def fit_title(self, title: str) -> str:
        """``title`` cut to ``title_chars`` (at a space when one is near), marked with an ellipsis."""
        if len(title) <= self.title_chars:
            return title
        cut = title[: self.title_chars - 1]
        space = cut.rfind(" ")
        if space >= self.title_chars * 3 // 4:
            cut = cut[:space]
        return cut.rstrip() + _ELLIPSIS

    def url_problem(self, url: str) -> str | None:
        """Why ``url`` may not be stored, or None."""
        return _indexed_problem("URL", url, self.url_chars, "max_url_chars")

    def id_problem(self, doc_id: str) -> str | None:
        """Why ``doc_id`` may not be used as a document id, or None."""
        problem = _indexed_problem("id", doc_id, self.id_chars, "max_id_chars")
        if problem is not None:
            return problem
        if _BIDI.search(doc_id):
            return f"id {shown(doc_id)} holds a bidirectional control character, which lets it display as another id"
        return None


def _indexed_problem(what: str, value: str, chars: int, setting: str) -> str | None:
    """Why an indexed value (an id, a URL) is too long, in characters or in UTF-8 bytes, or None."""
    if len(value) > chars:
        return over(what, len(value), chars, setting)
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > INDEXED_BYTES:
        return f"{what} is {size:,} bytes in UTF-8, over the {INDEXED_BYTES:,}-byte limit of indexed values"
    return None


def over(what: str, size: int, limit: int, setting: str) -> str:
    """``title is 3,000,000 characters, over the 1,000-character limit (max_title_chars)``."""
    return f"{what} is {size:,} characters, over the {limit:,}-character limit ({setting})"


def shown(value: str, width: int = 60) -> str:
    """``value`` quoted for an error message, cut to ``width`` characters."""
    return repr(value if len(value) <= width else value[: width - 3] + "...")


def check_document(doc: Document, limits: Limits) -> InputError | None:
    """Why ``doc`` may not be stored (an ``InputError`` naming where it came from), or None."""
    problem = _problem(doc, limits)
    return None if problem is None else InputError(doc.source or shown(doc.id), problem)


def _problem(doc: Document, limits: Limits) -> str | None:
    if len(doc.text) > limits.text_chars:
        return over("text", len(doc.text), limits.text_chars, "max_text_chars")
    problem = limits.id_problem(doc.id)
    if problem is not None:
        return problem
    if doc.url is not None and (problem := limits.url_problem(doc.url)) is not None:
        return problem
    for what, value in (("title", doc.title), ("author", doc.author), ("site name", doc.site)):
        if value is not None and len(value) > limits.title_chars:
            return over(what, len(value), limits.title_chars, "max_title_chars")
    for what, value in (("id", doc.id), ("title", doc.title), ("text", doc.text), ("URL", doc.url),
                        ("source", doc.source), ("date", doc.published), ("author", doc.author),
                        ("site name", doc.site)):
        if value and _UNSTORABLE.search(value):
            return f"{what} holds a NUL or a lone surrogate, which no store can hold"
    return None
