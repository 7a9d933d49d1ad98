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


def test_without_a_width_the_store_reads_the_one_it_recorded(tmp_path):
    from index.sqlite.store import SqliteStore

    def fresh() -> SqliteStore:
        return SqliteStore(tmp_path / "db.sqlite", tmp_path / "vectors.faiss", embed_model="hash-embedder")

    empty = fresh()
    assert empty.dim is None and empty.dense_search(EMB.embed(["chip"])[0], 3) == []
    empty.save_vectors()  # nothing stored: nothing to save, and no error
    with pytest.raises(StoreError, match="no vectors stored yet"):
        empty.vectors()
    empty.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    assert empty.dim == EMB.dim
    empty.save_vectors()
    reopened = fresh()  # a new process: the width comes from the store's metadata
    assert reopened.dim == EMB.dim and reopened.meta("dim") == str(EMB.dim)
    assert reopened.dense_search(EMB.embed(["Huawei and Baidu pool chip research."])[0], 1)


def test_a_store_written_before_the_width_was_recorded_reads_it_from_its_rows(tmp_path):
    from index.sqlite.store import SqliteStore

    def fresh() -> SqliteStore:
        return SqliteStore(tmp_path / "db.sqlite", tmp_path / "vectors.faiss", embed_model="hash-embedder")

    old = fresh()
    old.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    old.conn.execute("DELETE FROM meta WHERE key = 'dim'")  # as an older newsrag left it
    assert fresh().dim == EMB.dim
    store = fresh()
    store.write([prepared("b", "Ferries resumed on Monday. " * 6)])  # records it now
    assert store.meta("dim") == str(EMB.dim)


# SQLite's lock bytes in the database file: a connection in WAL mode holds a shared lock here for
# as long as it is open, which tells other processes it is not the last one (the last one to close
# checkpoints and deletes the write-ahead log).
_SHARED_FIRST, _SHARED_SIZE = 0x40000002, 510
_TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, %d, %d, 0)
    print("got it")
except OSError:
    print("held")
""" % (_SHARED_SIZE, _SHARED_FIRST)


def test_saving_vectors_keeps_this_process_sqlite_locks(tmp_path):
    """Saving the vector file must not close a descriptor of the database file: POSIX drops all
    of a process's locks on a file when any descriptor of it closes, and SQLite then corrupts
    ("database disk image is malformed", seen in test_concurrency under load)."""
    import subprocess
    import sys

    store = open_store(tmp_path)
    store.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    store.keyword_search("Huawei", 5)  # the connection has read the database: it holds its lock
    probe = [sys.executable, "-c", _TRY_LOCK, str(store.db_path)]
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "held"
    store.save_vectors()
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "held"
    assert store.meta("vectors_saved_generation") == str(store.generation())
