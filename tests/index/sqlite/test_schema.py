import multiprocessing
import sqlite3

import pytest

from index.sqlite import schema
from index.errors import StoreError


class LockedAtFirst:
    """A connection whose journal-mode switch fails as a brand-new shared file's does."""

    def __init__(self, failures: int, message: str = "database is locked") -> None:
        self.failures, self.message, self.calls = failures, message, 0

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.failures:
            raise sqlite3.OperationalError(self.message)


def test_switching_to_wal_waits_out_a_locked_new_database():
    conn = LockedAtFirst(3)
    schema._wal(conn, timeout=5)
    assert conn.calls == 4


def test_switching_to_wal_gives_up_after_the_timeout_and_passes_other_errors_on():
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        schema._wal(LockedAtFirst(10**6), timeout=0.05)
    other = LockedAtFirst(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        schema._wal(other, timeout=5)
    assert other.calls == 1


def _open(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        conn = schema.connect(path)
        schema.create(conn)
        results.put("ok")
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(repr(exc))


@pytest.mark.integration
def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    # Before the retry, about one round in ten had a process fail with "database is locked".
    ctx = multiprocessing.get_context("spawn")
    outcomes = []
    for round_ in range(20):
        path = str(tmp_path / f"{round_}.db")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open, args=(path, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        outcomes += [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    assert set(outcomes) == {"ok"}


# -- issue 12, finding 9: the schema version is read on open ---------------------------------------

def _version(conn) -> str:
    return conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]


def test_the_schema_version_is_checked_on_open_and_a_newer_store_is_refused(tmp_path):
    conn = schema.connect(str(tmp_path / "db"))
    schema.create(conn)
    schema.create(conn)  # a store at this version opens again
    assert _version(conn) == schema.SCHEMA_VERSION == "2"
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    conn.execute("DROP INDEX chunks_by_doc")
    with pytest.raises(StoreError) as info:
        schema.create(conn)
    assert "schema version 7" in str(info.value) and "version 2" in str(info.value)
    # Refused before touching it: the newer store's layout is its own business.
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'chunks_by_doc'").fetchone() is None
    conn.execute("UPDATE meta SET value = 'x2' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="'x2'"):
        schema.create(conn)


def test_an_older_store_is_migrated_forward_step_by_step(tmp_path, monkeypatch):
    conn = schema.connect(str(tmp_path / "db"))
    schema.create(conn)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")  # as a version-1 store
    conn.execute("INSERT INTO meta(key, value) VALUES ('steps', '')")
    steps = {1: "ALTER TABLE documents ADD COLUMN lang TEXT", 2: "CREATE TABLE notes (body TEXT)"}
    monkeypatch.setattr(schema, "SCHEMA_VERSION", "3")
    monkeypatch.setattr(schema, "MIGRATIONS", {
        v: (lambda c, v=v: (c.execute(steps[v]), c.execute("UPDATE meta SET value = value || ? WHERE key = 'steps'",
                                                             (str(v),))))
        for v in steps})
    schema.create(conn)
    assert _version(conn) == "3"
    assert conn.execute("SELECT value FROM meta WHERE key = 'steps'").fetchone()[0] == "12"
    assert "lang" in [row[1] for row in conn.execute("PRAGMA table_info(documents)")]
    schema.create(conn)  # nothing more to do
    assert conn.execute("SELECT value FROM meta WHERE key = 'steps'").fetchone()[0] == "12"


def test_a_failed_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    conn = schema.connect(str(tmp_path / "db"))
    schema.create(conn)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")  # as a version-1 store

    def broken(c):
        c.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", "2")
    monkeypatch.setattr(schema, "MIGRATIONS", {1: broken})
    with pytest.raises(sqlite3.OperationalError):
        schema.create(conn)
    assert _version(conn) == "1"
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None


def test_a_store_from_a_newer_newsrag_names_its_file(tmp_path):
    from index.sqlite.store import SqliteStore

    SqliteStore(tmp_path / "newsrag.db", tmp_path / "v.faiss", embed_model="m", dim=8).close()
    conn = sqlite3.connect(tmp_path / "newsrag.db")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(int(schema.SCHEMA_VERSION) + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as info:
        SqliteStore(tmp_path / "newsrag.db", tmp_path / "v.faiss", embed_model="m", dim=8)
    assert "newsrag.db" in str(info.value) and "version 2" in str(info.value)


# -- issue 23, finding 2: which feed made a document is recorded, not read from its id ---------------

def test_a_version_1_store_marks_only_the_items_whose_feed_made_their_document(tmp_path):
    """The step from version 1 sets ``made`` on the items whose document has the id the sync
    made for that very item; a user's ``feed-...`` document an item points at stays the user's."""
    from index.sqlite.feeds import SqliteFeedStore
    from index.sqlite.store import SqliteStore
    from rag.web.article import url_doc_id

    f = "https://f.example/rss"
    SqliteStore(tmp_path / "newsrag.db", tmp_path / "v.faiss", embed_model="m", dim=8).close()
    conn = sqlite3.connect(tmp_path / "newsrag.db")
    conn.execute("ALTER TABLE feed_items DROP COLUMN made")  # the version-1 layout
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    conn.execute("INSERT INTO feeds (url, interval_s, added_at) VALUES (?, 60, 'now')", (f,))
    made = url_doc_id(f"{f}\0guid-1", prefix="feed")
    conn.executemany("INSERT INTO feed_items VALUES (?, ?, ?, ?, 'e', 'now')",
                     [(f, "guid-1", "https://x.example/1", made),
                      (f, "guid-2", "https://x.example/2", "feed-notes-md-4f2a9c1e"),  # the user's twin
                      (f, "guid-3", "https://x.example/1", made)])  # the same article under a new GUID
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path / "newsrag.db", tmp_path / "v.faiss", embed_model="m", dim=8)
    assert _version(store.conn) == "2"
    items = SqliteFeedStore(store).items_of(f)
    assert {k: i.made for k, i in items.items()} == {"guid-1": True, "guid-2": False, "guid-3": False}
    assert SqliteFeedStore(store).remove(f) == [made]
