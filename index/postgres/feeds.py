"""The feed tables in PostgreSQL: a `FeedStore` over an `index.postgres.PostgresStore`.

The tables are created by the schema's numbered steps (index.postgres.schema, step 4). Every
write is one transaction on the store's connection of the calling thread; subscribing is one
``INSERT ... ON CONFLICT``, so two machines adding the same feed at once both succeed, and
removing a feed locks its row first, so two removals do not both report its documents. Values
always travel as psycopg parameters. Not here: the records and the interface (index.feeds), the
SQLite side (index.sqlite_feeds).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

from index.errors import StoreError
from index.feeds import (FEED_COLUMNS, FEED_MADE, ITEM_COLUMNS, STORED_FEED_COLUMNS, Feed, FeedItem, check_subscription,
                         feed_row, now_iso)

_UPSERT_ITEM = (f"INSERT INTO feed_items (feed_url, {ITEM_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (feed_url, key) DO UPDATE SET link = excluded.link, doc_id = excluded.doc_id, "
                "entry_hash = excluded.entry_hash, seen_at = excluded.seen_at")
_RESTORE_FEED = (f"INSERT INTO feeds ({STORED_FEED_COLUMNS}) VALUES ({', '.join(['%s'] * 11)}) "
                 "ON CONFLICT (url) DO UPDATE SET title = excluded.title, interval_s = excluded.interval_s, "
                 "added_at = excluded.added_at, last_fetch = excluded.last_fetch, "
                 "last_success = excluded.last_success, http_status = excluded.http_status, "
                 "etag = excluded.etag, last_modified = excluded.last_modified, "
                 "last_error = excluded.last_error, items_seen = excluded.items_seen")


class PostgresFeedStore:
    """The feed tables of one `PostgresStore` (sharing its per-thread connections)."""

    def __init__(self, store) -> None:
        self.store = store

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """A transaction on this thread's connection; any server error (an item of no feed, a
        read-only replica) is a StoreError, after the transaction is rolled back."""
        import psycopg

        conn = self.store.conn
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.store.describe()}: feed write failed: {str(exc).strip()}") from None

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        check_subscription(url, interval_s)
        with self._writing() as conn:
            added = conn.execute(
                "INSERT INTO feeds (url, title, interval_s, added_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (url) DO NOTHING RETURNING url", (url, title, interval_s, now_iso())).fetchone()
            if added is None and update:
                conn.execute("UPDATE feeds SET interval_s = %s WHERE url = %s", (interval_s, url))
            return added is not None

    def remove(self, url: str) -> list[str] | None:
        with self._writing() as conn:
            if conn.execute("SELECT 1 FROM feeds WHERE url = %s FOR UPDATE", (url,)).fetchone() is None:
                return None
            only_here = [row[0] for row in conn.execute(
                f"SELECT DISTINCT doc_id FROM feed_items WHERE feed_url = %s AND {FEED_MADE} AND doc_id NOT IN "
                "(SELECT doc_id FROM feed_items WHERE feed_url <> %s) ORDER BY doc_id", (url, url))]
            conn.execute("DELETE FROM feeds WHERE url = %s", (url,))  # its items cascade
            return only_here

    def all(self) -> list[Feed]:
        rows = self.store.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, url").fetchall()
        return [Feed(*row) for row in rows]

    def get(self, url: str) -> Feed | None:
        row = self.store.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = %s", (url,)).fetchone()
        return Feed(*row) if row else None

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        now = now_iso()
        with self._writing() as conn:
            conn.execute(
                "UPDATE feeds SET last_fetch = %s, http_status = %s, last_error = %s, "
                "last_success = COALESCE(%s, last_success), "
                "etag = COALESCE(%s, etag), last_modified = COALESCE(%s, last_modified), "
                "title = COALESCE(%s, title), items_seen = COALESCE(%s, items_seen) WHERE url = %s",
                (now, status, error, now if error is None else None, etag, last_modified, title,
                 items_seen, url))

    def items_of(self, url: str) -> dict[str, FeedItem]:
        rows = self.store.conn.execute(f"SELECT {ITEM_COLUMNS} FROM feed_items WHERE feed_url = %s", (url,))
        return {row[0]: FeedItem(*row) for row in rows}

    def doc_for_link(self, link: str) -> str | None:
        row = self.store.conn.execute(
            f"SELECT doc_id FROM feed_items WHERE link = %s AND {FEED_MADE} LIMIT 1", (link,)).fetchone()
        return row[0] if row else None

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = now_iso()
        with self._writing() as conn, conn.cursor() as cur:
            cur.executemany(_UPSERT_ITEM, [(url, i.key, i.link, i.doc_id, i.entry_hash, now) for i in items])

    def restore(self, feed: Feed, items: Sequence[FeedItem]) -> None:
        with self._writing() as conn, conn.cursor() as cur:
            cur.execute(_RESTORE_FEED, feed_row(feed))
            cur.execute("DELETE FROM feed_items WHERE feed_url = %s", (feed.url,))
            cur.executemany(_UPSERT_ITEM, [(feed.url, i.key, i.link, i.doc_id, i.entry_hash, i.seen_at or now_iso())
                                           for i in items])
