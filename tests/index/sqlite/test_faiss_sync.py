"""The FAISS file is derived data: missing, corrupt, stale or foreign files are rebuilt."""
from pathlib import Path

import numpy as np

from builders import EMB, open_store, prepared
from index.sqlite import vector_file
from index.sqlite.vector_file import MAGIC
from index.sqlite.vectors import VectorIndex


def filled(tmp_path: Path):
    store = open_store(tmp_path)
    store.write([prepared(f"d{i}", f"Story {i} about topic {i}. " * 12) for i in range(5)])
    store.save_vectors()
    return store


def ids_in_db(store) -> set[int]:
    return {r[0] for r in store.conn.execute("SELECT id FROM chunks")}


def test_saved_index_reloads_with_same_vectors(tmp_path):
    store = filled(tmp_path)
    again = open_store(tmp_path)
    assert set(again.vectors().ids()) == ids_in_db(store)


def test_missing_file_is_rebuilt(tmp_path):
    store = filled(tmp_path)
    (tmp_path / "vectors.faiss").unlink()
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)


def test_corrupt_file_is_rebuilt_not_trusted(tmp_path):
    store = filled(tmp_path)
    path = tmp_path / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[-50:] = b"\xff" * 50
    path.write_bytes(bytes(data))
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)
    path.write_bytes(MAGIC + b"{not json")
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)
    path.write_bytes(b"garbage")
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)


def test_stale_file_catches_up_with_adds_and_removes(tmp_path):
    store = filled(tmp_path)
    store.remove("d1")
    store.write([prepared("new", "Fresh story about comets. " * 10)])
    # the file on disk still reflects the old generation
    fresh = open_store(tmp_path)
    assert set(fresh.vectors().ids()) == ids_in_db(store)


def test_index_from_a_newer_database_is_reconciled(tmp_path):
    store = filled(tmp_path)
    stale = vector_file.load(tmp_path / "vectors.faiss", EMB.dim)
    stale.generation += 100  # claims to be ahead of the database
    vector_file.save(stale, tmp_path / "vectors.faiss")
    store.remove("d2")
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)


def test_file_for_other_dimensions_is_rebuilt(tmp_path):
    store = filled(tmp_path)
    other = VectorIndex.empty(EMB.dim * 2)
    other.add(np.array([1]), np.ones((1, EMB.dim * 2), dtype=np.float32))
    vector_file.save(other, tmp_path / "vectors.faiss")
    assert set(open_store(tmp_path).vectors().ids()) == ids_in_db(store)
