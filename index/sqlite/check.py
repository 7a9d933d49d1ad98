"""Verify a store and repair what can be derived.

What cannot be derived (documents, chunks, their offsets and embeddings) is only checked: a bad
row is reported with the document to re-add. What can be derived (the FTS5 keyword table and the
FAISS index) is rebuilt from it when ``repair`` is set. Used by `newsrag check`.
"""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import numpy as np

from index.base import CheckReport, chunk_problems, readd_hint
from index.sqlite import faiss_sync, vector_file
from index.sqlite.vector_file import VectorFileError

if TYPE_CHECKING:  # the store calls this module, so only its type is named here
    from index.sqlite.store import SqliteStore

__all__ = ["CheckReport", "check_store"]


def check_store(store: SqliteStore, repair: bool = False) -> CheckReport:
    problems: list[str] = []
    repaired: list[str] = []
    conn = store.conn

    (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    if integrity != "ok":
        problems.append(f"SQLite integrity check failed: {integrity} (restore {store.db_path} from a backup)")

    try:
        # rank=1 makes FTS5 compare the index with the chunks table too, not only with itself.
        conn.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        problems.append(f"keyword index does not match the chunks: {exc}")
        if repair:
            conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
            repaired.append("rebuilt the keyword index from the chunks")

    bad_docs = chunk_problems(conn.execute(
        'SELECT c.doc_id, c.start, c."end", c.text, length(c.embedding) / 4.0 FROM chunks c ORDER BY c.doc_id'
    ), store.document_text, store.dim or 0)
    for doc_id, why in bad_docs.items():
        problems.append(readd_hint(doc_id, why))
    for (doc_id,) in conn.execute(
        "SELECT id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.id)"
    ):
        problems.append(readd_hint(doc_id, "has no chunks"))

    vectors = _check_vectors(store, problems, repaired, repair, skip=bool(bad_docs))
    docs, chunks = store.counts()
    return CheckReport(docs, chunks, vectors, tuple(problems), tuple(repaired))


def _check_vectors(store: SqliteStore, problems: list[str], repaired: list[str], repair: bool, skip: bool) -> int:
    """The saved FAISS file, caught up with SQLite, must hold exactly SQLite's chunk ids."""
    if skip:  # embeddings of the wrong size cannot go into an index: fix the rows first
        return 0
    conn = store.conn
    # A store emptied before its width was recorded has no rows to give it: the file's header does.
    dim = store.dim or int((vector_file.peek(store.faiss_path) or {}).get("dim") or 0)
    if not dim:
        return 0  # no vector was ever stored, and no file claims any
    try:
        index = vector_file.load(store.faiss_path, dim)
        faiss_sync.catch_up(conn, index)
        db_ids = np.fromiter((r[0] for r in conn.execute("SELECT id FROM chunks")), dtype=np.int64)
        have = index.ids()
        if len(have) != len(db_ids) or not np.array_equal(np.sort(have), np.sort(db_ids)):
            raise VectorFileError(f"{store.faiss_path}: holds {len(have)} vectors for {len(db_ids)} chunks")
        return index.count
    except VectorFileError as exc:
        if not store.faiss_path.exists() and store.counts()[1] == 0:
            return 0  # an empty store needs no file
        problems.append(f"vector index: {exc}")
        if repair:
            index = faiss_sync.build(conn, dim, store.ann_threshold)
            faiss_sync.save(conn, index, store.faiss_path)
            repaired.append(f"rebuilt {store.faiss_path.name} from SQLite ({index.count} vectors)")
            return index.count
        return 0
