"""Typed records that flow through the pipeline: documents, chunks, passages, answers.

Plain frozen dataclasses with no behaviour beyond small derived properties; storage, retrieval
and generation live in their own modules.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One article as loaded from a file, before chunking.

    ``source`` is where it came from (a path, or ``path:line`` for a JSONL row); ``url`` is the
    article's own address when known; ``published`` is an ISO date string or None.
    """

    id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published: str | None = None


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
class Citation:
    """A numbered source an answer cites.

    ``span_start``/``span_end`` locate, inside ``passage.text``, the sentences shown to the model
    (and so the exact evidence); ``sentences`` are the indexes of the answer sentences citing it.
    """

    number: int
    passage: Passage
    span_start: int
    span_end: int
    sentences: tuple[int, ...] = ()

    @property
    def span(self) -> str:
        return self.passage.text[self.span_start : self.span_end]


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the final answer with the citation numbers that support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool


@dataclass(frozen=True)
class Answer:
    """The result of asking one question.

    ``abstained`` is True when newsrag said the corpus does not cover the question.
    ``timings`` holds seconds for ``retrieval``, ``first_token`` and ``total``.
    """

    question: str
    text: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    timings: dict[str, float] = field(default_factory=dict)
    tokens: int = 0
    model: str = ""
