"""The store interface: what the pipeline, ingestion, eval, `check`, `migrate` and the UI call.

Two backends implement it: `index.sqlite.SqliteStore` (SQLite + FAISS in a data directory, the
embedded default) and `index.postgres.PostgresStore` (PostgreSQL with pgvector, shared by many
processes and machines). What is the same for both lives here once: the records a write takes
and a check returns, and the chunk checks. Not here: fusing dense and keyword results, and the
as-of preference (rag.retrieval), which work on whatever a backend returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

import numpy as np

from index.records import DocumentInfo, Passage, PreparedDocument

# (first day, day after the last), ISO dates: documents published on start <= day < end.
DateWindow = tuple[str, str]


@dataclass(frozen=True)
class CheckReport:
    documents: int
    chunks: int
    vectors: int
    problems: tuple[str, ...]
    repaired: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems or len(self.repaired) == len(self.problems)


class DocumentStore(Protocol):
    """Documents, their chunks and embeddings, with dense and keyword search over the chunks.

    Scores are higher-is-better: cosine similarity for dense search, a backend's own keyword
    relevance for keyword search (only the order is used, by rank fusion). A write or removal
    is one transaction: readers see a document whole or not at all.
    """

    embed_model: str

    @property
    def dim(self) -> int | None:
        """The vectors' width, recorded in the store with the first vector written and kept
        (after every document is removed, and when reopened); None while none ever was."""

    # -- reading
    def meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def content_hash(self, doc_id: str) -> str | None: ...
    def find_by_hash(self, content_hash: str) -> str | None: ...
    def documents(self) -> list[DocumentInfo]: ...
    def counts(self) -> tuple[int, int]: ...
    def document_text(self, doc_id: str) -> str | None: ...
    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]: ...
    def embeddings(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]: ...
    def embeddings_by_text_hash(self, doc_id: str) -> dict[str, np.ndarray]: ...
    def read_prepared(self, doc_ids: Sequence[str]) -> list[PreparedDocument]: ...
    def sample_chunk(self) -> tuple[str, np.ndarray] | None:
        """One stored chunk's text and vector (None when empty): to check another embedder's
        vectors against before any is used."""
    def user_meta(self) -> dict[str, str]: ...

    # -- searching
    # ``window`` (first day, day after the last; ISO dates) is applied inside the search, so the
    # k best of the window come back.
    def dense_search(self, query: np.ndarray, k: int,
                     window: DateWindow | None = None) -> list[tuple[int, float]]: ...
    def keyword_search(self, query: str, k: int,
                       window: DateWindow | None = None) -> list[tuple[int, float]]: ...
    def unknown_words(self, words: Sequence[str]) -> list[str]: ...

    # -- writing
    def write(self, batch: Sequence[PreparedDocument]) -> None: ...
    def remove(self, doc_id: str) -> bool: ...
    def flush(self) -> None:
        """The end of a series of writes and removals (an `add`, a `remove` of several ids, a
        feed pass): whatever the store keeps beside its tables to search them is made durable
        now, once for the series rather than once per write. May do nothing."""
    def check(self, repair: bool = False) -> CheckReport: ...
    def describe(self) -> str:
        """Where the store lives, for messages (a path, or a URL without its password)."""
    def close(self) -> None: ...


# Keys a backend keeps for itself in its meta table; everything else belongs to the app (the
# "corpus indexed" and eval stamps) and is copied by `migrate`.
INTERNAL_META = frozenset({"schema", "generation", "log_floor", "embed_model", "dim"})


def chunk_problems(rows: Iterable[tuple[str, int, int, str, int]], text_of, dim: int) -> dict[str, str]:
    """Documents whose chunks do not match them: {doc id: why}.

    ``rows`` are (doc id, start, end, chunk text, embedding width in floats), grouped by
    document; ``text_of(doc_id)`` gives a document's text.
    """
    bad: dict[str, str] = {}
    current, text = None, ""
    for doc_id, start, end, chunk_text, width in rows:
        if doc_id != current:
            current, text = doc_id, text_of(doc_id) or ""
        if width != dim:
            bad.setdefault(doc_id, f"an embedding of {width} dimensions, expected {dim}")
        elif text[start:end] != chunk_text:
            bad.setdefault(doc_id, f"chunk text does not match the document at {start}:{end}")
    return bad


def readd_hint(doc_id: str, why: str) -> str:
    return f"document {doc_id!r}: {why} (remove it and add it again)"
