from builders import open_store, prepared
from index.sqlite.check import check_store


def filled(tmp_path):
    store = open_store(tmp_path)
    store.write([prepared(f"d{i}", f"Story {i} about topic {i}. " * 12) for i in range(3)])
    store.save_vectors()
    return store


def test_a_healthy_store_passes(tmp_path):
    report = check_store(filled(tmp_path))
    assert report.ok and report.problems == () and report.documents == 3 and report.vectors == report.chunks


def test_deleted_vector_file_is_reported_then_rebuilt(tmp_path):
    store = filled(tmp_path)
    store.faiss_path.unlink()
    report = check_store(store)
    assert not report.ok and "vector index" in report.problems[0]
    repaired = check_store(store, repair=True)
    assert repaired.ok and repaired.vectors == repaired.chunks
    assert check_store(open_store(tmp_path)).problems == ()


def test_corrupt_vector_file_is_rebuilt(tmp_path):
    store = filled(tmp_path)
    store.faiss_path.write_bytes(store.faiss_path.read_bytes()[:-100])
    assert "checksum" in check_store(store).problems[0]
    assert check_store(store, repair=True).ok


def test_broken_keyword_table_is_rebuilt(tmp_path):
    store = filled(tmp_path)
    # delete keyword rows behind the triggers' back
    store.conn.execute("INSERT INTO chunks_fts(chunks_fts, rowid, text) SELECT 'delete', id, text FROM chunks WHERE doc_id = 'd1'")
    assert store.keyword_search("topic", 10) and not any(
        store.passages([i])[i].doc_id == "d1" for i, _ in store.keyword_search("topic", 10))
    report = check_store(store, repair=True)
    assert report.ok and any("keyword" in r for r in report.repaired)
    assert any(store.passages([i])[i].doc_id == "d1" for i, _ in store.keyword_search("topic", 10))


def test_bad_embedding_row_is_reported_with_the_document_to_re_add(tmp_path):
    store = filled(tmp_path)
    store.conn.execute("UPDATE chunks SET embedding = x'00' WHERE doc_id = 'd2'")
    report = check_store(store, repair=True)
    assert not report.ok and "'d2'" in report.problems[0] and "add it again" in report.problems[0]
