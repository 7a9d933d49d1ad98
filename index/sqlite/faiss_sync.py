"""Keep a FAISS `VectorIndex` in step with SQLite, and in the layout its size calls for.

The index records the SQLite generation it reflects and the highest chunk id it holds. Catching
up is cheap: chunk ids only grow, so new vectors are ``id > max_id``, and deletions are read from
the ``deleted_chunks`` log. When the log no longer reaches back far enough, or the file is
missing or corrupt, the index is reconciled against the full set of chunk ids instead.

Layout: an exact index up to ``ann_threshold`` vectors; past it, an IVF index trained on a sample
of the stored embeddings. The IVF index is retrained when the store has grown 4x since training
and goes back to exact search when the store shrinks below half the threshold (so a store near the
threshold does not flip back and forth). A threshold of 0 means always exact.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.sqlite import vector_file
from index.sqlite.transaction import transaction
from index.sqlite.vector_file import VectorFileError
from index.sqlite.vectors import EXACT, IVF, VectorIndex, ivf_shape

_BATCH = 20_000
# Keep this many deletion-log rows before pruning: readers older than the pruned part reconcile.
_LOG_KEEP = 50_000
# Training sample per IVF list: FAISS warns below 39; more makes training slower for little gain.
_TRAIN_PER_LIST = 50
# Retrain an IVF index once the store holds this many times the vectors it was trained for.
_REGROW = 4


def load_or_build(conn: sqlite3.Connection, path: Path, dim: int,
                  ann_threshold: int = 0) -> tuple[VectorIndex, bool]:
    """The saved index caught up, or one built from SQLite; True when it was built (worth saving)."""
    try:
        index = vector_file.load(path, dim)
    except VectorFileError:
        return build(conn, dim, ann_threshold), True
    catch_up(conn, index)
    return index, False


def build(conn: sqlite3.Connection, dim: int, ann_threshold: int = 0) -> VectorIndex:
    """A new index holding every chunk in SQLite, in the layout its size calls for."""
    (count,) = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
    if _layout_for(int(count), ann_threshold, None) == IVF:
        index = _trained_ivf(conn, dim)
    else:
        index = VectorIndex.empty(dim)
    reconcile(conn, index)
    return index


def needs_relayout(index: VectorIndex, ann_threshold: int) -> bool:
    """Whether ``index`` should be rebuilt in another layout (or retrained) for its size."""
    return _misfit(index.layout, index.trained_on, index.count, ann_threshold)


def relayout(conn: sqlite3.Connection, index: VectorIndex, path: Path,
             ann_threshold: int) -> tuple[VectorIndex, bool]:
    """An index in the right layout for ``index``'s size; True when it was built here.

    Another process (usually the writer) may already have built and saved one: the saved file is
    used when its header says it fits, so the training is done once rather than by every reader.
    """
    header = vector_file.peek(path)
    if header is not None and not _misfit(str(header.get("layout", EXACT)), int(header.get("trained_on", 0)),
                                          index.count, ann_threshold):
        try:
            saved = vector_file.load(path, index.dim)
        except VectorFileError:
            saved = None
        if saved is not None:
            catch_up(conn, saved)
            if not needs_relayout(saved, ann_threshold):
                return saved, False
            del saved  # free it before building another
    return build(conn, index.dim, ann_threshold), True


def catch_up(conn: sqlite3.Connection, index: VectorIndex) -> None:
    """Apply every commit since ``index.generation``, from one consistent snapshot."""
    with transaction(conn):
        generation = _meta_int(conn, "generation")
        floor = _meta_int(conn, "log_floor")
        # Newer than the database (restored from a backup) or older than the log reaches.
        unreachable = index.generation > generation or index.generation < floor
        if not unreachable:
            removed = [r[0] for r in conn.execute(
                "SELECT chunk_id FROM deleted_chunks WHERE generation > ?", (index.generation,)
            )]
            index.remove(np.asarray(removed, dtype=np.int64))
            _add_rows(index, conn.execute(
                "SELECT id, embedding FROM chunks WHERE id > ? ORDER BY id", (index.max_id,)
            ))
            index.generation = generation
    if unreachable:
        reconcile(conn, index)


def reconcile(conn: sqlite3.Connection, index: VectorIndex) -> tuple[int, int]:
    """Make the index hold exactly SQLite's chunk ids. Returns (added, removed)."""
    with transaction(conn):
        generation = _meta_int(conn, "generation")
        db_ids = np.fromiter((r[0] for r in conn.execute("SELECT id FROM chunks")), dtype=np.int64)
        if index.count == 0:
            # A new index: one scan of the table beats fetching every id by key.
            _add_rows(index, conn.execute("SELECT id, embedding FROM chunks ORDER BY id"))
            added, extra = len(db_ids), np.zeros(0, dtype=np.int64)
        else:
            have = index.ids()
            extra = np.setdiff1d(have, db_ids, assume_unique=True)
            missing = np.setdiff1d(db_ids, have, assume_unique=True)
            index.remove(extra)
            for start in range(0, len(missing), _BATCH):
                _add_rows(index, _rows_by_id(conn, missing[start : start + _BATCH]))
            added = len(missing)
        index.max_id = int(db_ids.max()) if len(db_ids) else 0
        index.generation = generation
    return added, len(extra)


def save(conn: sqlite3.Connection, index: VectorIndex, path: Path, *, prune: bool = True) -> None:
    """Write the index file, then (``prune``) trim the deletion log it no longer needs."""
    vector_file.save(index, path)
    if not prune:
        return
    (logged,) = conn.execute("SELECT COUNT(*) FROM deleted_chunks").fetchone()
    if logged > _LOG_KEEP:
        with transaction(conn, write=True):
            conn.execute("DELETE FROM deleted_chunks WHERE generation <= ?", (index.generation,))
            # MAX: a process saving an older index must not lower the floor below rows that a
            # newer save already pruned, or readers would trust an incomplete log.
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('log_floor', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(index.generation),),
            )


def _layout_for(count: int, ann_threshold: int, current: str | None) -> str:
    if ann_threshold <= 0:
        return EXACT
    if current == IVF:
        return IVF if count >= ann_threshold // 2 else EXACT
    return IVF if count > ann_threshold else EXACT


def _misfit(layout: str, trained_on: int, count: int, ann_threshold: int) -> bool:
    if _layout_for(count, ann_threshold, layout) != layout:
        return True
    return layout == IVF and count > _REGROW * trained_on


def _trained_ivf(conn: sqlite3.Connection, dim: int) -> VectorIndex:
    """An empty IVF index trained on a reproducible random sample of the stored embeddings."""
    with transaction(conn):
        db_ids = np.fromiter((r[0] for r in conn.execute("SELECT id FROM chunks")), dtype=np.int64)
        nlist, nprobe = ivf_shape(len(db_ids))
        size = min(len(db_ids), _TRAIN_PER_LIST * nlist)
        # Seeded by the count, so every process training on the same store trains the same index.
        chosen = np.sort(np.random.default_rng(len(db_ids)).choice(db_ids, size=size, replace=False))
        parts = []
        for start in range(0, len(chosen), _BATCH):
            blobs = [blob for _, blob in _rows_by_id(conn, chosen[start : start + _BATCH])]
            parts.append(np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim))
    return VectorIndex.approximate(dim, np.vstack(parts), nlist=nlist, nprobe=nprobe, sized_for=len(db_ids))


def _rows_by_id(conn: sqlite3.Connection, ids: np.ndarray):
    part = ids.tolist()
    marks = ",".join("?" * len(part))
    return conn.execute(f"SELECT id, embedding FROM chunks WHERE id IN ({marks})", part)


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
