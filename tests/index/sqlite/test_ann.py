"""Past `ann_threshold` vectors the store searches an IVF index; it keeps every exact-index duty.

Small thresholds and clustered random vectors keep these fast; bench/ann.py measures recall and
latency at 100k and 1M vectors.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.sqlite import faiss_sync as sync, vector_file
from index.sqlite.check import check_store
from index.records import Chunk, Document, PreparedDocument
from index.sqlite.store import SqliteStore
from index.sqlite.vectors import EXACT, IVF, VectorIndex

DIM = 32
CENTRES = np.random.default_rng(0).standard_normal((12, DIM)).astype(np.float32)


def clustered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = CENTRES[rng.integers(0, len(CENTRES), n)] + 0.35 * rng.standard_normal((n, DIM)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def doc(doc_id: str, n_chunks: int, seed: int) -> PreparedDocument:
    words = [f"w{doc_id}x{i}" for i in range(n_chunks)]
    text = " ".join(words)
    chunks, start = [], 0
    for i, w in enumerate(words):
        chunks.append(Chunk(doc_id, i, start, start + len(w), w))
        start += len(w) + 1
    return PreparedDocument(Document(doc_id, doc_id, text), f"h-{doc_id}", tuple(chunks),
                            clustered(n_chunks, seed), tuple(words))


def store_at(folder: Path, threshold: int) -> SqliteStore:
    return SqliteStore(folder / "db.sqlite", folder / "vectors.faiss", embed_model="clustered", dim=DIM,
                       ann_threshold=threshold)


def fill(store: SqliteStore, docs: int, per_doc: int = 10, first: int = 0) -> None:
    store.write([doc(f"d{i}", per_doc, seed=i) for i in range(first, first + docs)])


def db_ids(store: SqliteStore) -> set[int]:
    return {r[0] for r in store.conn.execute("SELECT id FROM chunks")}


def test_small_store_stays_exact_and_large_one_switches_to_ivf(tmp_path):
    store = store_at(tmp_path, threshold=300)
    fill(store, 25)  # 250 vectors
    assert store.vectors().layout == EXACT
    fill(store, 10, first=25)  # 350 > 300
    index = store.vectors()
    assert index.layout == IVF and index.trained_on == 350 and index.count == 350
    assert set(index.ids()) == db_ids(store)
    # The switch was saved at once: the next process loads the trained index instead of training.
    assert vector_file.load(store.faiss_path, DIM).layout == IVF
    assert check_store(store).problems == ()


def test_ivf_search_agrees_with_exact_search(tmp_path):
    store = store_at(tmp_path, threshold=500)
    fill(store, 100)  # 1000 vectors
    index = store.vectors()
    assert index.layout == IVF
    exact = VectorIndex.empty(DIM)
    sync.reconcile(store.conn, exact)
    queries = clustered(50, seed=999)
    hits = 0
    for q in queries:
        truth = {i for i, _ in exact.search(q, 10)}
        hits += len(truth & {i for i, _ in index.search(q, 10)})
    assert hits / (10 * len(queries)) >= 0.9
    # Scores are cosine similarities on both sides.
    best_id, best = index.search(queries[0], 1)[0]
    assert best == pytest.approx(float(np.dot(index.reconstruct(best_id), queries[0])), abs=1e-5)


def test_a_reader_catches_up_an_ivf_index_with_adds_and_removes(tmp_path):
    writer = store_at(tmp_path, threshold=300)
    fill(writer, 40)
    writer.save_vectors()
    reader = store_at(tmp_path, threshold=300)
    assert reader.vectors().layout == IVF
    writer.remove("d3")
    fill(writer, 5, first=100)
    writer.write([doc("d7", 4, seed=77)])  # a replaced document: removes and adds
    index = reader.vectors()
    assert index.layout == IVF and set(index.ids()) == db_ids(writer)
    gone = {r[0] for r in writer.conn.execute("SELECT chunk_id FROM deleted_chunks")}
    assert not gone & {i for i, _ in index.search(clustered(1, 5)[0], 400)}
    assert index.reconstruct(min(gone)) is None
    assert reader.vectors().index.reconstruct(max(db_ids(writer))) is not None  # the guarded raw index


def test_ivf_is_retrained_when_it_grows_and_dropped_when_it_shrinks(tmp_path):
    store = store_at(tmp_path, threshold=200)
    fill(store, 25)
    first = store.vectors()
    assert first.layout == IVF and first.trained_on == 250
    fill(store, 80, first=25)  # 1050 > 4 x 250
    grown = store.vectors()
    assert grown.layout == IVF and grown.trained_on == 1050 and grown.nlist > first.nlist
    for i in range(96):  # down to 90 vectors, under half the threshold
        store.remove(f"d{i}")
    small = store.vectors()
    assert small.layout == EXACT and set(small.ids()) == db_ids(store)


def test_a_store_near_the_threshold_does_not_flip_back_and_forth(tmp_path):
    store = store_at(tmp_path, threshold=200)
    fill(store, 21)
    assert store.vectors().layout == IVF
    store.remove("d0")
    store.remove("d1")  # 190: under the threshold but over half of it
    assert store.vectors().layout == IVF


def test_a_corrupt_ivf_file_is_rebuilt_as_ivf(tmp_path):
    store = store_at(tmp_path, threshold=100)
    fill(store, 20)
    store.save_vectors()
    data = bytearray(store.faiss_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.faiss_path.write_bytes(bytes(data))
    fresh = store_at(tmp_path, threshold=100)
    index = fresh.vectors()
    assert index.layout == IVF and set(index.ids()) == db_ids(store)
    assert check_store(fresh).problems == ()  # the rebuilt index was saved


def test_check_repair_rebuilds_in_the_layout_the_size_calls_for(tmp_path):
    store = store_at(tmp_path, threshold=100)
    fill(store, 20)
    store.save_vectors()
    store.faiss_path.unlink()
    report = check_store(store, repair=True)
    assert report.ok and vector_file.load(store.faiss_path, DIM).layout == IVF


def test_threshold_zero_means_always_exact(tmp_path):
    store = store_at(tmp_path, threshold=0)
    fill(store, 30)
    assert store.vectors().layout == EXACT
    ivf = store_at(tmp_path, threshold=100)
    assert ivf.vectors().layout == IVF
    again = store_at(tmp_path, threshold=0)  # the setting was lowered: back to exact
    assert again.vectors().layout == EXACT and again.vectors().count == 300


def test_ivf_file_round_trips_with_its_settings(tmp_path):
    index = VectorIndex.approximate(DIM, clustered(400, 1), nlist=16, nprobe=3, sized_for=400)
    index.add(np.arange(1, 401), clustered(400, 1))
    index.generation, index.max_id = 7, 400
    vector_file.save(index, tmp_path / "v.faiss")
    loaded = vector_file.load(tmp_path / "v.faiss", DIM)
    assert (loaded.layout, loaded.nlist, loaded.nprobe, loaded.trained_on, loaded.generation) == (IVF, 16, 3, 400, 7)
    assert sorted(loaded.ids()) == list(range(1, 401))
    q = clustered(1, 2)[0]
    assert loaded.search(q, 5) == index.search(q, 5)


def test_a_reader_takes_the_writers_trained_index_instead_of_training(tmp_path, monkeypatch):
    writer = store_at(tmp_path, threshold=300)
    reader = store_at(tmp_path, threshold=300)
    fill(writer, 20)
    assert reader.vectors().layout == EXACT
    fill(writer, 20, first=20)
    writer.save_vectors()  # trains and saves the IVF index

    def no_training(*_):
        raise AssertionError("the reader trained its own index")

    monkeypatch.setattr(sync, "_trained_ivf", no_training)
    index = reader.vectors()
    assert index.layout == IVF and set(index.ids()) == db_ids(writer)
