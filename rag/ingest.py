"""Add documents to the store: load, skip what is already there, chunk, embed, write.

Documents stream through in batches sized for the embedder, so memory stays flat however large
the input (what grows is a few hundred bytes per document: the ids in the report, and the ids
seen, to catch one id given twice). Each batch is one store transaction, so a killed process
loses at most the batches in flight, and running the same `add` again skips every document already
committed (same id and content hash). An edited document replaces its chunks, re-embedding only chunks whose text
changed. Content already stored under another id is a duplicate and skipped, unless this same add
gives that id new content (contents moved between ids are updates, whichever comes first). Bad
files are reported in the result and never stop the batch. Embedding is a stream of
batches that may run elsewhere (rag.ray_embed); writing stays here, in one writer.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from index.base import DocumentStore
from index.records import Chunk, Document, PreparedDocument
from rag.chunking import Chunker
from rag.embedding import Embedder
from rag.errors import InputError
from rag.limits import Limits, check_document
from rag.loaders import load_paths
from rag.progress import ProgressFn


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (skipped id, existing id)
    errors: list[InputError] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    @property
    def documents(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged) + len(self.duplicates)


# PyTorch's CPU tensors change shape with every batch (padded to its longest chunk), which leaves
# glibc's heap fragmented: without handing the freed memory back after each batch, the resident
# size of `add` with the real embedder grew from 1.3 GB to 1.7 GB between 9k and 36k chunks
# (bench/scale.py); with it, it stays flat. It costs about a millisecond per batch.
@functools.cache
def _malloc_trim() -> Callable[[], object]:
    """glibc's malloc_trim, or a no-op where the C library has none (musl, macOS, Windows).

    Looked up on the first batch, not at import.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return lambda: None
    return lambda: trim(0)


def content_hash(doc: Document) -> str:
    h = hashlib.sha256()
    for part in (doc.title, doc.url or "", doc.published or "", doc.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Batch:
    """What one ``add`` has seen so far, to tell duplicates from contents moving between ids."""

    ids: dict[str, str] = field(default_factory=dict)  # id -> where it came from
    hashes: dict[str, str] = field(default_factory=dict)  # content hash -> id queued with it
    replaced: set[str] = field(default_factory=set)  # stored ids this add gives other content
    waiting: dict[str, list[tuple[Document, str]]] = field(default_factory=dict)  # stored twin -> skipped


@dataclass(frozen=True)
class Plan:
    """One batch of documents, chunked, with the chunk texts that still need embedding.

    ``slots[d][c]`` is either an index into ``texts`` or an embedding reused from the document's
    stored version (its chunk text did not change).
    """

    documents: tuple[tuple[Document, str, bool], ...]  # (doc, content hash, replaces an old version)
    chunks: tuple[tuple[Chunk, ...], ...]
    hashes: tuple[tuple[str, ...], ...]
    slots: tuple[tuple[int | np.ndarray, ...], ...]
    texts: tuple[str, ...]


# Takes the plans in order and yields each with the embeddings of its ``texts``, in order.
EmbedStream = Callable[[Iterable[Plan]], Iterator[tuple[Plan, np.ndarray]]]


class Ingestor:
    def __init__(self, store: DocumentStore, embedder: Embedder, chunker: Chunker, *, limits: Limits,
                 batch_chunks: int = 256, embed_stream: EmbedStream | None = None) -> None:
        """``embed_stream`` embeds the batches elsewhere (rag.ray_embed); by default here.

        ``limits`` bound every document this ingestor stores, whatever made it (rag.limits).
        """
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.limits = limits
        self.batch_chunks = batch_chunks
        self.embed_stream = embed_stream or self._embed_here

    def embedding_with(self, embed_stream: EmbedStream) -> Ingestor:
        """This ingestor (same store, chunker and limits) embedding its batches with ``embed_stream``."""
        return Ingestor(self.store, self.embedder, self.chunker, limits=self.limits,
                        batch_chunks=self.batch_chunks, embed_stream=embed_stream)

    def load(self, paths: Iterable[Path]) -> Iterator[Document | InputError]:
        """The documents under ``paths``, read under this ingestor's limits."""
        return load_paths(paths, self.limits)

    def add(self, paths: Iterable[Path], progress: ProgressFn | None = None) -> IngestReport:
        return self.add_documents(self.load(paths), progress)

    def add_documents(self, items: Iterable[Document | InputError],
                      progress: ProgressFn | None = None) -> IngestReport:
        """Index documents made elsewhere (fetched pages, feed items), errors reported as given.

        Every document is checked against ``limits`` here, whoever made it: one over a limit is
        reported as an ``InputError`` naming its source and the limit, and never stored.
        """
        report = IngestReport()
        started = time.perf_counter()
        queued = [0]  # documents planned but not yet written, for the progress count

        def tick() -> None:
            if progress:
                progress(report.documents + len(report.errors) + queued[0], report.embedded)

        for plan, fresh in self.embed_stream(self._plans(items, report, queued, tick)):
            self._write(plan, fresh, report)
            queued[0] -= len(plan.documents)
            tick()
        if report.added or report.updated:
            self.store.flush()
        report.seconds = time.perf_counter() - started
        tick()
        return report

    def remove(self, doc_id: str) -> bool:
        return self.remove_many([doc_id]) == 1

    def remove_many(self, doc_ids: Iterable[str]) -> int:
        """Remove these documents (unknown ids and repeats are skipped); how many were removed.

        The store is flushed once at the end, not per document: on SQLite that writes the vector
        file, the whole FAISS index, so removing a 300-article feed one by one rewrote it 300 times.
        """
        removed = sum(self.store.remove(doc_id) for doc_id in dict.fromkeys(doc_ids))
        if removed:
            self.store.flush()
        return removed

    def _plans(self, items: Iterable[Document | InputError], report: IngestReport, queued: list[int],
               tick: Callable[[], None]) -> Iterator[Plan]:
        """Load, skip what is stored, and chunk: one plan per ``batch_chunks`` chunks or so."""
        pending: list[tuple[Document, str, bool]] = []
        pending_chunks = 0
        batch = _Batch()
        for item in items:
            refused = item if isinstance(item, InputError) else check_document(item, self.limits)
            if refused is not None:
                report.errors.append(refused)
            else:
                before = len(pending)
                pending_chunks += self._consider(item, report, pending, batch)
                queued[0] += len(pending) - before
            if pending_chunks >= self.batch_chunks:
                yield self._plan(pending)
                pending, pending_chunks = [], 0
            tick()
        if pending:
            yield self._plan(pending)

    def _consider(self, doc: Document, report: IngestReport, pending: list, batch: "_Batch") -> int:
        """Queue a document unless it is already stored; returns an estimate of its chunks."""
        if doc.id in batch.ids:
            report.errors.append(InputError(doc.source, f"document id {doc.id!r} was already given by {batch.ids[doc.id]}"))
            return 0
        batch.ids[doc.id] = doc.source
        digest = content_hash(doc)
        old_hash = self.store.content_hash(doc.id)
        if old_hash == digest:
            report.unchanged.append(doc.id)
            return 0
        if old_hash is not None:
            # Its stored content is on its way out. (Should this document turn out a duplicate
            # itself, that content stays, and a copy of it later in this add is stored twice:
            # a duplicate kept beats an article lost.)
            batch.replaced.add(doc.id)
        twin = batch.hashes.get(digest)
        if twin is None:
            stored = self.store.find_by_hash(digest)
            # Not a duplicate of a document this add is giving other content.
            twin = stored if stored not in batch.replaced else None
            if twin is not None and twin != doc.id:
                batch.waiting.setdefault(twin, []).append((doc, digest))
        if twin is not None and twin != doc.id:
            report.duplicates.append((doc.id, twin))
            return 0
        return self._queue(doc, digest, old_hash is not None, report, pending, batch)

    def _queue(self, doc: Document, digest: str, replaces: bool, report: IngestReport, pending: list,
               batch: "_Batch") -> int:
        batch.hashes[digest] = doc.id
        pending.append((doc, digest, replaces))
        estimate = max(1, len(doc.text) // max(1, self.chunker.size - self.chunker.overlap))
        if replaces:
            # Documents skipped earlier as copies of this one's old content were not copies after all.
            for waiting, waiting_digest in batch.waiting.pop(doc.id, []):
                if waiting_digest in batch.hashes:
                    continue  # a real duplicate within this add
                report.duplicates.remove((waiting.id, doc.id))
                estimate += self._queue(waiting, waiting_digest, self.store.content_hash(waiting.id) is not None,
                                        report, pending, batch)
        return estimate

    def _plan(self, pending: list[tuple[Document, str, bool]]) -> Plan:
        chunks_of, hashes_of, slots_of = [], [], []
        texts: list[str] = []
        for doc, _, replaces in pending:
            chunks = tuple(self.chunker.split(doc))
            hashes = tuple(_text_hash(c.text) for c in chunks)
            reuse = self.store.embeddings_by_text_hash(doc.id) if replaces else {}
            slots: list[int | np.ndarray] = []
            for chunk, h in zip(chunks, hashes):
                if h in reuse:
                    slots.append(reuse[h])
                else:
                    slots.append(len(texts))
                    texts.append(chunk.text)
            chunks_of.append(chunks)
            hashes_of.append(hashes)
            slots_of.append(tuple(slots))
        return Plan(tuple(pending), tuple(chunks_of), tuple(hashes_of), tuple(slots_of), tuple(texts))

    def _embed_here(self, plans: Iterable[Plan]) -> Iterator[tuple[Plan, np.ndarray]]:
        for plan in plans:
            yield plan, (self.embedder.embed(list(plan.texts)) if plan.texts
                         else np.zeros((0, 0), dtype=np.float32))

    def _write(self, plan: Plan, fresh: np.ndarray, report: IngestReport) -> None:
        if len(fresh) != len(plan.texts):
            raise ValueError(f"{len(plan.texts)} chunks to embed but {len(fresh)} embeddings came back")
        batch = []
        for (doc, digest, _), chunks, hashes, slots in zip(plan.documents, plan.chunks, plan.hashes, plan.slots):
            rows = [fresh[s] if isinstance(s, int) else s for s in slots]
            embeddings = np.vstack(rows) if rows else np.zeros((0, fresh.shape[1] if fresh.size else 0), np.float32)
            batch.append(PreparedDocument(doc, digest, chunks, embeddings, hashes))
        self.store.write(batch)
        _malloc_trim()()
        for (doc, _, replaces), chunks in zip(plan.documents, plan.chunks):
            (report.updated if replaces else report.added).append(doc.id)
            report.chunks += len(chunks)
        report.embedded += len(plan.texts)
