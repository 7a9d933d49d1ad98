import pytest

from builders import EMB, open_store, prepared
from index.errors import StoreError
from index.records import PreparedDocument

def test_write_search_and_remove(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared("a", "Huawei and Baidu pool chip research. " * 8), prepared("b", "Floods hit the coast of Peru. " * 8)])
    assert store.counts()[0] == 2
    hits = store.keyword_search("Which firms pool chip research?", 5)
    assert hits and store.passages([hits[0][0]])[hits[0][0]].doc_id == "a"
    dense = store.dense_search(EMB.embed(["Floods hit the coast of Peru."])[0], 3)
    assert store.passages([dense[0][0]])[dense[0][0]].doc_id == "b"
    assert store.remove("a") and not store.remove("a")
    assert all(store.passages([i])[i].doc_id == "b" for i, _ in store.dense_search(EMB.embed(["chip"])[0], 10))
    assert store.keyword_search("Huawei", 5) == []


def test_replacing_a_document_leaves_no_old_chunks(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared("a", "Old text about elections. " * 10)])
    store.write([prepared("a", "New text about volcanoes. " * 3)])
    docs = store.documents()
    assert len(docs) == 1 and docs[0].chars == len("New text about volcanoes. " * 3) - 0
    assert store.keyword_search("elections", 5) == []
    assert store.vectors().count == docs[0].chunks


def test_failed_write_leaves_nothing_behind(tmp_path):
    store = open_store(tmp_path)
    good = prepared("good", "Fine text here. " * 5)
    bad = prepared("bad", "Broken text here. " * 20)
    bad = PreparedDocument(bad.document, bad.content_hash, bad.chunks, bad.embeddings[:1], bad.text_hashes)
    with pytest.raises(StoreError):
        store.write([good, bad])
    assert store.counts() == (0, 0)
    assert store.keyword_search("fine", 5) == []


def test_other_embedding_model_is_refused(tmp_path):
    open_store(tmp_path).write([prepared("a", "Some text. " * 5)])
    with pytest.raises(StoreError, match="hash-embedder"):
        open_store(tmp_path, model="another-model")


def test_a_reader_sees_another_connections_writes_without_restart(tmp_path):
    reader = open_store(tmp_path)
    writer = open_store(tmp_path)
    assert reader.dense_search(EMB.embed(["x"])[0], 5) == []
    writer.write([prepared("a", "Volcano erupts in Iceland. " * 6)])
    assert reader.dense_search(EMB.embed(["Volcano erupts"])[0], 5)
    writer.remove("a")
    assert reader.dense_search(EMB.embed(["Volcano erupts"])[0], 5) == []


def test_corrupt_database_file_is_a_clear_error(tmp_path):
    (tmp_path / "db.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="db.sqlite"):
        open_store(tmp_path)


def test_keyword_search_ignores_query_syntax(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared("a", "The AND operator NEAR quotes \"here\". " * 4)])
    for query in ['"unbalanced', "NEAR(", "a OR", "*", "-", "AND"]:
        store.keyword_search(query, 5)  # must not raise an FTS5 syntax error


def test_unknown_words_are_those_no_chunk_contains(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared("a", "Tencent and Baidu pool chip research in Shenzhen. " * 4)])
    assert store.unknown_words(["Tencent", "baidu", "Quillfield", 'Shen"zhen', "Baidu"]) == ["Quillfield", 'Shen"zhen']


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
