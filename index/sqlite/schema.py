"""The SQLite schema: creating it, and bringing an older store forward.

The ``meta`` table's ``schema`` row says which layout a store has. Opening reads it first: a new
file gets the current schema, an older store runs ``MIGRATIONS`` one version at a time, and a
store written by a newer newsrag is refused (naming both versions) before anything touches it.
``migration_steps`` holds that decision alone, for other store backends to share. SQLite holds everything that cannot be derived: documents, chunks with their offsets, the chunk
embeddings and content hashes. The FTS5 table and the FAISS index are derived from those and can
be rebuilt. Triggers keep the keyword table and the deletion log in the same transaction as the
chunk rows, so a killed writer leaves either all of a document or none of it.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable

from index.errors import StoreError
from index.sqlite.feeds import mark_made_items
from index.sqlite.transaction import transaction

SCHEMA_VERSION = "2"
# MIGRATIONS[n] turns a version-n store into a version-(n+1) one, inside the transaction that
# opens it. 2: which feed items made their document (index.sqlite.feeds.mark_made_items).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: mark_made_items}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT,
    published TEXT,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    added_at TEXT NOT NULL,
    author TEXT,
    site TEXT
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents(content_hash);
-- AUTOINCREMENT: chunk ids are never reused, so "id > last seen" finds every new vector.
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter unicode61'
);
-- Deleted chunk ids with the generation that deleted them: lets a reader drop exactly those
-- vectors instead of rebuilding its FAISS index.
CREATE TABLE IF NOT EXISTS deleted_chunks (
    chunk_id INTEGER NOT NULL,
    generation INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO deleted_chunks(chunk_id, generation)
        VALUES (old.id, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'));
END;
"""


def connect(path: str, timeout: float = 60.0) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection needs."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    _wal(conn, timeout)
    # NORMAL under WAL never corrupts; a power cut may drop the last commits, which a rerun of
    # the same `add` restores.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return conn


def _wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, waiting out other processes doing the same on a new database.

    Changing the journal mode can fail with "database is locked" at once, without SQLite's busy
    handler, while another connection holds a lock on a brand-new file (two `add`s started
    together): retry until ``timeout``.
    """
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


# Columns added after version 1 shipped: (table, column, declaration), added to older databases.
ADDED_COLUMNS = (("documents", "author", "TEXT"), ("documents", "site", "TEXT"))


def migration_steps(found: str, current: str | None = None) -> list[int]:
    """The versions to migrate from, in order, to bring a ``found`` store to ``current``.

    ``current`` defaults to SCHEMA_VERSION. Raises StoreError for a store newer than this code,
    or a version that is not a number.
    """
    current = SCHEMA_VERSION if current is None else current
    try:
        have, want = int(found), int(current)
    except ValueError:
        raise StoreError(f"unknown schema version {found!r} (this newsrag writes version {current})") from None
    if have > want:
        raise StoreError(f"the store has schema version {have}, newer than version {want} that this "
                         "newsrag reads: upgrade newsrag, or use another data directory")
    missing = [v for v in range(have, want) if v not in MIGRATIONS]
    if missing:
        raise StoreError(f"no migration from schema version {missing[0]} to {missing[0] + 1}")
    return list(range(have, want))


def create(conn: sqlite3.Connection) -> None:
    """Create the schema in a new store, or check and migrate an existing one."""
    from index.sqlite.feeds import FEEDS_SCHEMA

    with transaction(conn, write=True):
        found = _stored_version(conn)
        for version in migration_steps(found) if found is not None else ():
            MIGRATIONS[version](conn)
        for table, column, declaration in ADDED_COLUMNS:
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if have and column not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        for statement in _statements(SCHEMA + FEEDS_SCHEMA):
            conn.execute(statement)
        conn.execute("INSERT INTO meta(key, value) VALUES ('schema', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (SCHEMA_VERSION,))
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0')")


def _stored_version(conn: sqlite3.Connection) -> str | None:
    """The store's schema version, or None for a new file (no meta table, or no schema row yet)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row[0] if row else None


def _statements(script: str) -> list[str]:
    """Split the schema into statements (executescript would commit our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    return out
