"""Feed subscriptions and their state, and which document each feed item became, in SQLite.

`FeedStore` is the feeds half of the store contract; a store backend (SQLite here, PostgreSQL
later) implements these methods: ``add``, ``remove``, ``all``, ``get``, ``record_fetch``,
``items_of``, ``doc_for_link`` and ``record_items``. Every write is one transaction on the
document store's connection, so a feed's state and its items never disagree after a crash. Not
here: fetching or parsing feeds (rag.feeds).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

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


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None
    interval_s: int
    added_at: str
    last_fetch: str | None = None
    last_success: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_error: str | None = None
    items_seen: int = 0
    items: int = 0  # documents this feed's items became

    def due(self, now: datetime) -> bool:
        if self.last_fetch is None:
            return True
        last = datetime.fromisoformat(self.last_fetch)
        return (now - last).total_seconds() >= self.interval_s


@dataclass(frozen=True)
class FeedItem:
    key: str
    link: str | None
    doc_id: str
    entry_hash: str


_FEED_COLUMNS = ("url, title, interval_s, added_at, last_fetch, last_success, http_status, etag, "
                 "last_modified, last_error, items_seen, "
                 "(SELECT COUNT(DISTINCT doc_id) FROM feed_items i WHERE i.feed_url = feeds.url)")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedStore:
    """The feed tables of one `index.store.Store` (sharing its connections and writer lock)."""

    def __init__(self, store) -> None:
        self.store = store

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        """Subscribe; False when ``url`` is already a feed (its interval is then updated, if
        ``update``)."""
        with self.store._transaction() as conn:
            known = conn.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone()
            if known:
                if update:
                    conn.execute("UPDATE feeds SET interval_s = ? WHERE url = ?", (interval_s, url))
                return False
            conn.execute("INSERT INTO feeds(url, title, interval_s, added_at) VALUES (?, ?, ?, ?)",
                         (url, title, interval_s, now_iso()))
            return True

    def remove(self, url: str) -> list[str] | None:
        """Unsubscribe; the ids of documents no other feed has (for the caller to remove), or
        None when ``url`` is not a feed."""
        with self.store._transaction() as conn:
            if conn.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is None:
                return None
            only_here = [row[0] for row in conn.execute(
                "SELECT DISTINCT doc_id FROM feed_items WHERE feed_url = ? AND doc_id NOT IN "
                "(SELECT doc_id FROM feed_items WHERE feed_url <> ?)", (url, url))]
            conn.execute("DELETE FROM feeds WHERE url = ?", (url,))
            return only_here

    def all(self) -> list[Feed]:
        rows = self.store.conn.execute(f"SELECT {_FEED_COLUMNS} FROM feeds ORDER BY added_at, url").fetchall()
        return [Feed(*row) for row in rows]

    def get(self, url: str) -> Feed | None:
        row = self.store.conn.execute(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return Feed(*row) if row else None

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        """A sync attempt's outcome. Validators and title are kept from before when not given;
        on success (no ``error``) the last error is cleared."""
        now = now_iso()
        with self.store._transaction() as conn:
            conn.execute(
                "UPDATE feeds SET last_fetch = ?, http_status = ?, last_error = ?, "
                "last_success = CASE WHEN ? IS NULL THEN ? ELSE last_success END, "
                "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "title = COALESCE(?, title), items_seen = COALESCE(?, items_seen) WHERE url = ?",
                (now, status, error, error, now, etag, last_modified, title, items_seen, url))

    def items_of(self, url: str) -> dict[str, FeedItem]:
        rows = self.store.conn.execute(
            "SELECT key, link, doc_id, entry_hash FROM feed_items WHERE feed_url = ?", (url,))
        return {row[0]: FeedItem(*row) for row in rows}

    def doc_for_link(self, link: str) -> str | None:
        """The document an item with this link (or a document with this canonical URL) became."""
        conn = self.store.conn
        row = conn.execute("SELECT doc_id FROM feed_items WHERE link = ? LIMIT 1", (link,)).fetchone()
        if row is None:
            row = conn.execute("SELECT id FROM documents WHERE url = ? LIMIT 1", (link,)).fetchone()
        return row[0] if row else None

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = now_iso()
        with self.store._transaction() as conn:
            conn.executemany(
                "INSERT INTO feed_items(feed_url, key, link, doc_id, entry_hash, seen_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(feed_url, key) DO UPDATE SET link = excluded.link, doc_id = excluded.doc_id, "
                "entry_hash = excluded.entry_hash, seen_at = excluded.seen_at",
                [(url, i.key, i.link, i.doc_id, i.entry_hash, now) for i in items])
