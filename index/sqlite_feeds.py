"""The feed tables in the SQLite store's database: a `FeedStore` over an `index.store.Store`.

The tables are created with the store's own (``FEEDS_SCHEMA``, run by index.schema.create).
Every write is one transaction on the store's connection and writer lock, bumping its
generation as any write does. Not here: the records and the interface (index.feeds), the
PostgreSQL side (index.postgres.feeds).
"""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Iterator, Sequence

from index.errors import StoreError
from index.feeds import (FEED_COLUMNS, FEED_MADE, ITEM_COLUMNS, STORED_FEED_COLUMNS, Feed, FeedItem, check_subscription,
                         feed_row, now_iso)

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
-- the feed's own fields for it, so an unchanged item costs no article fetch on the next sync.
CREATE TABLE IF NOT EXISTS feed_items (
    feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    key TEXT NOT NULL,
    link TEXT,
    doc_id TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_url, key)
);
CREATE INDEX IF NOT EXISTS feed_items_by_link ON feed_items(link);
CREATE INDEX IF NOT EXISTS feed_items_by_doc ON feed_items(doc_id);
CREATE INDEX IF NOT EXISTS documents_by_published ON documents(published);
CREATE INDEX IF NOT EXISTS documents_by_url ON documents(url);
"""

_UPSERT_ITEM = (f"INSERT INTO feed_items(feed_url, {ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(feed_url, key) DO UPDATE SET link = excluded.link, doc_id = excluded.doc_id, "
                "entry_hash = excluded.entry_hash, seen_at = excluded.seen_at")


class SqliteFeedStore:
    """The feed tables of one `index.store.Store` (sharing its connections and writer lock)."""

    def __init__(self, store) -> None:
        self.store = store

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The store's write transaction, with a broken constraint (an item of no feed, a
        missing field) as a StoreError; the transaction is rolled back either way."""
        try:
            with self.store._transaction() as conn:
                yield conn
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.store.describe()}: feed write refused: {exc}") from None

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        check_subscription(url, interval_s)
        with self._writing() as conn:
            known = conn.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone()
            if known:
                if update:
                    conn.execute("UPDATE feeds SET interval_s = ? WHERE url = ?", (interval_s, url))
                return False
            conn.execute("INSERT INTO feeds(url, title, interval_s, added_at) VALUES (?, ?, ?, ?)",
                         (url, title, interval_s, now_iso()))
            return True

    def remove(self, url: str) -> list[str] | None:
        with self._writing() as conn:
            if conn.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is None:
                return None
            only_here = [row[0] for row in conn.execute(
                f"SELECT DISTINCT doc_id FROM feed_items WHERE feed_url = ? AND {FEED_MADE} AND doc_id NOT IN "
                "(SELECT doc_id FROM feed_items WHERE feed_url <> ?) ORDER BY doc_id", (url, url))]
            conn.execute("DELETE FROM feeds WHERE url = ?", (url,))  # its items cascade
            return only_here

    def all(self) -> list[Feed]:
        rows = self.store.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, url").fetchall()
        return [Feed(*row) for row in rows]

    def get(self, url: str) -> Feed | None:
        row = self.store.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return Feed(*row) if row else None

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        now = now_iso()
        with self._writing() as conn:
            conn.execute(
                "UPDATE feeds SET last_fetch = ?, http_status = ?, last_error = ?, "
                "last_success = COALESCE(?, last_success), "
                "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "title = COALESCE(?, title), items_seen = COALESCE(?, items_seen) WHERE url = ?",
                (now, status, error, now if error is None else None, etag, last_modified, title,
                 items_seen, url))

    def items_of(self, url: str) -> dict[str, FeedItem]:
        rows = self.store.conn.execute(f"SELECT {ITEM_COLUMNS} FROM feed_items WHERE feed_url = ?", (url,))
        return {row[0]: FeedItem(*row) for row in rows}

    def doc_for_link(self, link: str) -> str | None:
        row = self.store.conn.execute(
            f"SELECT doc_id FROM feed_items WHERE link = ? AND {FEED_MADE} LIMIT 1", (link,)).fetchone()
        return row[0] if row else None

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = now_iso()
        with self._writing() as conn:
            conn.executemany(_UPSERT_ITEM, [(url, i.key, i.link, i.doc_id, i.entry_hash, now) for i in items])

    def restore(self, feed: Feed, items: Sequence[FeedItem]) -> None:
        with self._writing() as conn:
            # An upsert, not INSERT OR REPLACE: replacing the row would cascade to its items.
            conn.execute(
                f"INSERT INTO feeds({STORED_FEED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET title = excluded.title, interval_s = excluded.interval_s, "
                "added_at = excluded.added_at, last_fetch = excluded.last_fetch, "
                "last_success = excluded.last_success, http_status = excluded.http_status, "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "last_error = excluded.last_error, items_seen = excluded.items_seen",
                feed_row(feed))
            conn.execute("DELETE FROM feed_items WHERE feed_url = ?", (feed.url,))
            conn.executemany(_UPSERT_ITEM, [(feed.url, i.key, i.link, i.doc_id, i.entry_hash, i.seen_at or now_iso())
                                            for i in items])
