"""The feed tables in the SQLite store's database: a `FeedStore` over an `index.sqlite.SqliteStore`.

The tables are created with the store's own (``FEEDS_SCHEMA``, run by index.sqlite.schema.create), and
brought forward with it (``mark_made_items``, its step from version 1).
Every write is one transaction on the store's connection and writer lock, bumping its
generation as any write does. Not here: the statements (index.feed_tables), the records and the
interface (index.feeds), the PostgreSQL side (index.postgres.feeds).
"""
from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from typing import Iterator

from index.errors import StoreError
from index.feed_tables import FeedTables

FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    title TEXT,
    interval_s INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    last_fetch TEXT,
    last_success TEXT,
    http_status INTEGER,
    etag TEXT,
    last_modified TEXT,
    last_error TEXT,
    items_seen INTEGER NOT NULL DEFAULT 0
);
-- One row per item of a feed: its key (GUID, else link), the document it became, and a hash of
-- the feed's own fields for it, so an unchanged item costs no article fetch on the next sync;
-- ``made``: 1 when this feed made the document (index.feeds.FeedItem.made).
CREATE TABLE IF NOT EXISTS feed_items (
    feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    key TEXT NOT NULL,
    link TEXT,
    doc_id TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    made INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (feed_url, key)
);
CREATE INDEX IF NOT EXISTS feed_items_by_link ON feed_items(link);
CREATE INDEX IF NOT EXISTS feed_items_by_doc ON feed_items(doc_id);
CREATE INDEX IF NOT EXISTS documents_by_published ON documents(published);
CREATE INDEX IF NOT EXISTS documents_by_url ON documents(url);
"""


def made_id(feed_url: str, key: str, doc_id: str) -> bool:
    """Whether ``doc_id`` is the id a version-1 sync made for the item ``key`` of ``feed_url``
    (``feed-<slug>-<8 hex digits of sha256(feed URL, NUL, key)>``, rag.web.article.url_doc_id):
    what a store from before ``made`` knows of which documents its feeds made. A user's document
    named ``feed-...`` does not end in that item's hash."""
    digest = hashlib.sha256(f"{feed_url}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return doc_id.startswith("feed-") and doc_id.endswith("-" + digest)


def mark_made_items(conn: sqlite3.Connection) -> None:
    """Schema version 1 to 2: the ``made`` column, set on the items whose feed made the document."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feed_items'").fetchone() is None:
        return  # a store from before feeds: FEEDS_SCHEMA creates the tables as they are now
    conn.execute("ALTER TABLE feed_items ADD COLUMN made INTEGER NOT NULL DEFAULT 0")
    made = [(url, key) for url, key, doc_id in conn.execute("SELECT feed_url, key, doc_id FROM feed_items")
            if made_id(url, key, doc_id)]
    conn.executemany("UPDATE feed_items SET made = 1 WHERE feed_url = ? AND key = ?", made)


class SqliteFeedStore(FeedTables):
    """The feed tables of one `index.sqlite.SqliteStore` (sharing its connections and writer lock)."""

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The store's write transaction, with a broken constraint (an item of no feed, a
        missing field) as a StoreError; the transaction is rolled back either way."""
        try:
            with self.store._transaction() as conn:
                yield conn
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.store.describe()}: feed write refused: {exc}") from None
