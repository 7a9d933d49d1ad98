"""The document store: documents, chunks, embeddings and keyword search in SQLite, plus dense
search through a FAISS index kept in step with it. This is the store's interface; the keyword
query is built in index.sqlite.keywords, the FAISS side is index.sqlite.vectors (its file, index.sqlite.vector_file).

Writes are transactions: a document's row, its chunks, their embeddings and keyword rows go in
together or not at all, and SQLite's lock queues concurrent writers. Every write bumps a
generation number; readers compare it before each search and catch their FAISS index up, so a
running chat sees documents another process just added. Past ``ann_threshold`` vectors the FAISS
side is an approximate (IVF) index, trained here from the stored embeddings (see index.sqlite.faiss_sync).
Not here: loading files, chunking and embedding (rag.ingest), and fusing the two searches
(rag.retrieval).
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from index import columns
from index.base import CheckReport, DateWindow
from index.document_reads import DocumentReads, ReadStatements
from index.errors import StoreError
from index.records import PreparedDocument
from index.sqlite import faiss_sync, keywords, schema
from index.sqlite.check import check_store
from index.sqlite.transaction import transaction
from index.sqlite.vectors import VectorIndex

__all__ = ["PreparedDocument", "SqliteStore"]


class SqliteStore(DocumentReads):
    """One data directory's store (a `DocumentStore`). Safe to share between threads; one
    connection per thread."""

    def __init__(self, db_path: Path, faiss_path: Path, *, embed_model: str,
                 dim: int | None = None, ann_threshold: int = 0) -> None:
        """``dim`` is the vectors' width; None reads it from the store (see `dim`).

        Past ``ann_threshold`` vectors dense search is approximate (IVF); 0 keeps it exact.
        """
        self.db_path = Path(db_path)
        self.faiss_path = Path(faiss_path)
        self.embed_model = embed_model
        self.ann_threshold = ann_threshold
        self._given_dim = dim
        self._dim: int | None = None  # the recorded width, once read
        self._local = threading.local()
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            schema.create(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.db_path}: cannot open the database: {exc}") from None
        except StoreError as exc:  # a schema version this newsrag cannot read
            raise StoreError(f"{self.db_path}: {exc}") from None
        self._check_model()

    @property
    def dim(self) -> int | None:
        """The vectors' width: as recorded with the first vector written (meta ``dim``, as on
        PostgreSQL), else as given; None while no vector was ever stored. A store written before
        the width was recorded gives that of its stored embeddings.

        Read from the store, so a store that is only listed, checked or searched never needs the
        embedding model to know it; kept once known, since a width never changes.
        """
        if self._dim is None:
            recorded = self.meta("dim")
            if recorded is not None:
                self._dim = int(recorded)
            else:
                row = self.conn.execute("SELECT length(embedding) / 4 FROM chunks LIMIT 1").fetchone()
                if row is None:
                    return self._given_dim
                self._dim = int(row[0])
        return self._dim

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = schema.connect(str(self.db_path))
            self._local.conn = conn
        return conn

    def _check_model(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'embed_model'").fetchone()
        wanted = self.embed_model
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('embed_model', ?)", (wanted,))
        elif row[0] != wanted:
            raise StoreError(
                f"{self.db_path} was indexed with embedding model {row[0]!r}, not {wanted!r}: "
                "use another data directory or remove this one to re-index"
            )

    # -- reading (the plain reads are index.document_reads') -----------------------------

    SQL = ReadStatements.with_marker("?")

    def _read(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def _among(self, column: str, values: Sequence[object]) -> tuple[str, tuple]:
        return f"{column} IN ({','.join('?' * len(values))})", tuple(values)

    def _vector(self, stored: bytes) -> np.ndarray:
        return np.frombuffer(stored, dtype=np.float32)

    def generation(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def embeddings(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors by chunk id (from the FAISS index, which holds them in memory)."""
        index = self.vectors()
        out = {}
        for chunk_id in chunk_ids:
            vector = index.reconstruct(int(chunk_id))
            if vector is not None:
                out[int(chunk_id)] = vector
        return out

    def describe(self) -> str:
        return str(self.db_path.parent)

    def check(self, repair: bool = False) -> CheckReport:
        return check_store(self, repair)

    def keyword_search(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """BM25 over chunk text (see index.sqlite.keywords); higher scores are better.

        ``window`` (start, end): only chunks of documents published on ``start <= day < end``
        (ISO dates), filtered inside the query, so the k best of the window come back.
        """
        return keywords.search(self.conn, query, k, window)

    def chunk_ids_published(self, window: DateWindow) -> np.ndarray:
        """Ids of the chunks of documents published on ``start <= day < end``."""
        rows = self.conn.execute(
            "SELECT c.id FROM documents d JOIN chunks c ON c.doc_id = d.id "
            "WHERE d.published >= ? AND d.published < ?", (window[0], window[1])).fetchall()
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def unknown_words(self, words: Sequence[str]) -> list[str]:
        """The ``words`` that occur in no chunk's text."""
        return keywords.unknown_words(self.conn, words)

    def dense_search(self, query: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """Cosine nearest chunks; ``window`` as in `keyword_search`, applied inside FAISS."""
        if self.dim is None:  # nothing stored yet
            return []
        if window is None:
            return self.vectors().search(query, k)
        return self.vectors().search(query, k, among=self.chunk_ids_published(window))

    def vectors(self) -> VectorIndex:
        """The FAISS index, caught up with the latest committed generation.

        An index that had to be built here (no usable file, or a change of layout) is saved at
        once, so the next process loads it instead of building it again. A store that has never
        held a vector has no width yet: StoreError.
        """
        if self.dim is None:
            raise StoreError(f"{self.db_path}: no vectors stored yet, so no vector index")
        with self._vectors_lock:
            built = False
            current = self.generation()
            if self._vectors is None:
                self._vectors, built = faiss_sync.load_or_build(self.conn, self.faiss_path, self.dim, self.ann_threshold)
            elif self._vectors.generation != current:
                faiss_sync.catch_up(self.conn, self._vectors)
            if faiss_sync.needs_relayout(self._vectors, self.ann_threshold):
                # Replaced, not changed in place: threads still searching the old one finish on it.
                self._vectors, rebuilt = faiss_sync.relayout(self.conn, self._vectors, self.faiss_path, self.ann_threshold)
                built = built or rebuilt
            if built:
                # A searcher never waits on a writer to save: the file only spares the next
                # process a rebuild. Unsaved (a writer busy, a read-only folder), this process
                # keeps its index in memory.
                with contextlib.suppress(OSError, StoreError, sqlite3.OperationalError):
                    self._save(self._vectors, prune=False, wait=False)
            return self._vectors

    # -- writing -------------------------------------------------------------------------

    def write(self, batch: Sequence[PreparedDocument]) -> None:
        """Insert or replace each document with its chunks, all in one transaction."""
        if not batch:
            return
        widths = {int(p.embeddings.shape[1]) for p in batch if len(p.embeddings)}
        if len(widths) > 1:
            raise StoreError(f"embeddings of several widths in one batch: {sorted(widths)}")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction() as conn:
            if widths:
                self._record_width(conn, widths.pop())
            for prepared in batch:
                doc = prepared.document
                if len(prepared.chunks) != len(prepared.embeddings):
                    raise StoreError(f"{doc.id}: {len(prepared.chunks)} chunks but {len(prepared.embeddings)} embeddings")
                conn.execute("DELETE FROM documents WHERE id = ?", (doc.id,))
                conn.execute(columns.insert_document("?"), columns.document_values(prepared, now))
                vectors = np.ascontiguousarray(prepared.embeddings, dtype=np.float32)
                conn.executemany(
                    'INSERT INTO chunks(doc_id, seq, start, "end", text, text_hash, embedding) VALUES (?, ?, ?, ?, ?, ?, ?)',
                    [
                        (doc.id, c.seq, c.start, c.end, c.text, h, vectors[i].tobytes())
                        for i, (c, h) in enumerate(zip(prepared.chunks, prepared.text_hashes))
                    ],
                )

    def _record_width(self, conn: sqlite3.Connection, dim: int) -> None:
        """Inside the write's transaction: record the width with the first vector (a store
        written before it was recorded gets that of its rows), and refuse any other width."""
        row = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
        if row is None:
            stored = conn.execute("SELECT length(embedding) / 4 FROM chunks LIMIT 1").fetchone()
            recorded = int(stored[0]) if stored else dim
            conn.execute("INSERT INTO meta(key, value) VALUES ('dim', ?)", (str(recorded),))
        else:
            recorded = int(row[0])
        if recorded != dim:
            raise StoreError(f"{self.db_path} holds embeddings of {recorded} dimensions, not {dim}")

    def remove(self, doc_id: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,)).rowcount > 0

    def flush(self) -> None:
        """The end of a series of writes: save the vector file (`save_vectors`)."""
        self.save_vectors()

    def save_vectors(self) -> None:
        """Persist the caught-up FAISS index so the next process starts without catching up."""
        if self.dim is None:  # never held a vector: nothing to save
            return
        index = self.vectors()
        with self._vectors_lock:
            self._save(index, prune=True)

    def _save(self, index: VectorIndex, prune: bool, *, wait: bool = True) -> None:
        self._make_durable(index.generation, wait=wait)
        faiss_sync.save(self.conn, index, self.faiss_path, prune=prune)

    def _make_durable(self, generation: int, *, wait: bool) -> None:
        """Put the SQLite commits up to ``generation`` on disk before a vector file claims it.

        Under synchronous=NORMAL a power cut can drop the last commits; a file claiming a
        generation the database then reaches again with other content would be trusted. One
        small commit under synchronous=FULL fsyncs the write-ahead log, which holds every commit
        not yet checkpointed (a checkpoint syncs the database file itself). The files are not
        fsynced by name: closing any descriptor of a file drops every POSIX lock this process
        holds on it, other connections' included, and SQLite then corrupts the database
        (tests/index/sqlite/test_concurrency.py saw "database disk image is malformed" under load).
        Without ``wait``, a writer holding the lock makes this a StoreError at once.
        """
        conn = self.conn
        (busy_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA synchronous=FULL")
        if not wait:
            conn.execute("PRAGMA busy_timeout=0")
        try:
            with transaction(conn, write=True):
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('vectors_saved_generation', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(generation),))
        finally:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that bumps the generation, so readers know to catch up."""
        with transaction(self.conn, write=True) as conn:
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            yield conn
