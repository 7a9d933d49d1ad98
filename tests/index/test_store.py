"""SQLite-only store behaviour; what every backend must do is in test_store_contract.py."""
import pytest

from builders import EMB, open_store, prepared
from index.errors import StoreError


def test_replacing_a_document_leaves_no_old_vectors_in_faiss(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared("a", "Old text about elections. " * 10)])
    store.write([prepared("a", "New text about volcanoes. " * 3)])
    assert store.vectors().count == store.documents()[0].chunks


def test_corrupt_database_file_is_a_clear_error(tmp_path):
    (tmp_path / "db.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="db.sqlite"):
        open_store(tmp_path)


def test_without_a_width_the_store_reads_it_from_its_rows(tmp_path):
    from index.store import Store

    def fresh() -> Store:
        return Store(tmp_path / "db.sqlite", tmp_path / "vectors.faiss", embed_model="hash-embedder")

    empty = fresh()
    assert empty.dim is None and empty.dense_search(EMB.embed(["chip"])[0], 3) == []
    empty.save_vectors()  # nothing stored: nothing to save, and no error
    with pytest.raises(StoreError, match="no vectors stored yet"):
        empty.vectors()
    empty.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    assert empty.dim == EMB.dim
    empty.save_vectors()
    reopened = fresh()  # a new process: the width comes from the stored embeddings
    assert reopened.dim == EMB.dim
    assert reopened.dense_search(EMB.embed(["Huawei and Baidu pool chip research."])[0], 1)
