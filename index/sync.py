"""Keep a FAISS `VectorIndex` in step with SQLite.

The index records the SQLite generation it reflects and the highest chunk id it holds. Catching
up is cheap: chunk ids only grow, so new vectors are ``id > max_id``, and deletions are read from
the ``deleted_chunks`` log. When the log no longer reaches back far enough, or the file is
missing or corrupt, the index is reconciled against the full set of chunk ids instead.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.vectors import VectorFileError, VectorIndex

_BATCH = 20_000
# Keep this many deletion-log rows before pruning: readers older than the pruned part reconcile.
_LOG_KEEP = 50_000


def open_index(conn: sqlite3.Connection, path: Path, dim: int) -> VectorIndex:
    """Load the saved index, or build it from SQLite when it is missing or unusable."""
    try:
        index = VectorIndex.load(path, dim)
    except VectorFileError:
        index = VectorIndex.empty(dim)
        reconcile(conn, index)
        return index
    catch_up(conn, index)
    return index


def catch_up(conn: sqlite3.Connection, index: VectorIndex) -> None:
    """Apply every commit since ``index.generation``, from one consistent snapshot."""
    conn.execute("BEGIN")
    try:
        generation = _meta_int(conn, "generation")
        floor = _meta_int(conn, "log_floor")
        if index.generation > generation or index.generation < floor:
            conn.execute("COMMIT")
            reconcile(conn, index)
            return
        removed = [r[0] for r in conn.execute(
            "SELECT chunk_id FROM deleted_chunks WHERE generation > ?", (index.generation,)
        )]
        index.remove(np.asarray(removed, dtype=np.int64))
        _add_rows(index, conn.execute(
            "SELECT id, embedding FROM chunks WHERE id > ? ORDER BY id", (index.max_id,)
        ))
        index.generation = generation
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def reconcile(conn: sqlite3.Connection, index: VectorIndex) -> tuple[int, int]:
    """Make the index hold exactly SQLite's chunk ids. Returns (added, removed)."""
    conn.execute("BEGIN")
    try:
        generation = _meta_int(conn, "generation")
        db_ids = np.fromiter((r[0] for r in conn.execute("SELECT id FROM chunks")), dtype=np.int64)
        have = index.ids()
        extra = np.setdiff1d(have, db_ids, assume_unique=True)
        missing = np.setdiff1d(db_ids, have, assume_unique=True)
        index.remove(extra)
        for start in range(0, len(missing), _BATCH):
            part = missing[start : start + _BATCH].tolist()
            marks = ",".join("?" * len(part))
            _add_rows(index, conn.execute(f"SELECT id, embedding FROM chunks WHERE id IN ({marks})", part))
        index.max_id = int(db_ids.max()) if len(db_ids) else 0
        index.generation = generation
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(missing), len(extra)


def save(conn: sqlite3.Connection, index: VectorIndex, path: Path) -> None:
    """Write the index file, then trim the deletion log it no longer needs."""
    index.save(path)
    (logged,) = conn.execute("SELECT COUNT(*) FROM deleted_chunks").fetchone()
    if logged > _LOG_KEEP:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM deleted_chunks WHERE generation <= ?", (index.generation,))
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('log_floor', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(index.generation),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _add_rows(index: VectorIndex, rows) -> None:
    ids: list[int] = []
    blobs: list[bytes] = []
    for chunk_id, blob in rows:
        ids.append(chunk_id)
        blobs.append(blob)
        if len(ids) >= _BATCH:
            _add(index, ids, blobs)
            ids, blobs = [], []
    _add(index, ids, blobs)


def _add(index: VectorIndex, ids: list[int], blobs: list[bytes]) -> None:
    if not ids:
        return
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), index.dim)
    index.add(np.asarray(ids, dtype=np.int64), vectors)


def _meta_int(conn: sqlite3.Connection, key: str) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0
