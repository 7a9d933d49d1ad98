"""Typed records the store reads and writes: documents, chunks, passages.

Plain frozen dataclasses with no behaviour, and `day_of`, the one reading of their ISO date
strings. Below ``rag/`` so the store can use them without importing the pipeline; the answer side
(citations, answers) is in ``rag.records``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np


def day_of(text: str | None) -> date | None:
    """The day an ISO date or date-time string names ("2024-03-05", "2024-03-05T09:00:00+00:00"),
    or None for no string or one that names no day."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Document:
    """One article as loaded from a file, before chunking.

    ``source`` is where it came from (a path, ``path:line`` for a JSONL row, or the URL it was
    fetched from); ``url`` is the article's own (canonical) address when known; ``published`` is
    an ISO date string or None; ``author`` and ``site`` (the publication's name) when known.
    """

    id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published: str | None = None
    author: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A span of a document's text: ``text == document.text[start:end]``."""

    doc_id: str
    seq: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class DocumentInfo:
    """What the store knows about one indexed document (for `newsrag list`)."""

    id: str
    title: str
    source: str
    url: str | None
    published: str | None
    chunks: int
    chars: int
    content_hash: str
    added_at: str
    author: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the document facts a citation needs.

    ``score`` is the fused retrieval score (higher is better); ``dense_score`` is the cosine
    similarity to the query when the dense retriever saw it, else None; ``keyword_rank`` is its
    BM25 rank (0-based) when the keyword retriever returned it, else None.
    """

    chunk_id: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    url: str | None = None
    published: str | None = None
    source: str = ""
    score: float = 0.0
    dense_score: float | None = None
    keyword_rank: int | None = None


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready to store: its chunks and one embedding row per chunk.

    ``added_at`` is kept when a document is copied between stores; None means now.
    """

    document: Document
    content_hash: str
    chunks: tuple[Chunk, ...]
    embeddings: np.ndarray
    text_hashes: tuple[str, ...]
    added_at: str | None = None
