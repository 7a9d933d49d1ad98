"""The SQL of the feed tables, once for both backends: `FeedTables`, a `FeedStore` over a
document store's connection.

A backend subclass says how it writes (``_writing``: its transaction, with its driver's errors
as StoreError), its parameter marker, how it locks a feed's row before removing it, and how it
runs one statement over many rows. Everything else, every statement included, is here, so a
rule such as "a feed only removes the documents it made" is written once. Not here: the tables'
DDL (index.sqlite.feeds, index.postgres.schema), the records and the interface (index.feeds).
"""
from __future__ import annotations

import contextlib
from typing import Any, Sequence

from index.feeds import (FEED_COLUMNS, ITEM_COLUMNS, MADE, STORED_FEED_COLUMNS, Feed, FeedItem,
                         check_subscription, feed_row, item_row, now_iso, read_item)

_UPSERT_ITEM = (f"INSERT INTO feed_items (feed_url, {ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (feed_url, key) DO UPDATE SET link = excluded.link, doc_id = excluded.doc_id, "
                "entry_hash = excluded.entry_hash, seen_at = excluded.seen_at, made = excluded.made")
# The documents a feed made; ``made`` is a boolean in PostgreSQL, 0 or 1 in SQLite, true either way.
_MADE_BY = f"SELECT doc_id FROM feed_items WHERE feed_url = ? AND {MADE}"
# An upsert, not a delete and insert: replacing the feed's row would cascade to its items.
_RESTORE_FEED = (f"INSERT INTO feeds ({STORED_FEED_COLUMNS}) VALUES ({', '.join(['?'] * 11)}) "
                 "ON CONFLICT (url) DO UPDATE SET title = excluded.title, interval_s = excluded.interval_s, "
                 "added_at = excluded.added_at, last_fetch = excluded.last_fetch, "
                 "last_success = excluded.last_success, http_status = excluded.http_status, "
                 "etag = excluded.etag, last_modified = excluded.last_modified, "
                 "last_error = excluded.last_error, items_seen = excluded.items_seen")


class FeedTables:
    """The feed tables of one document store (``store.conn`` is the calling thread's connection)."""

    PARAM = "?"  # the driver's parameter marker; the statements below are written with "?"
    LOCK_ROW = ""  # appended to the SELECT that finds the feed a removal takes

    def __init__(self, store) -> None:
        self.store = store

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        """A write transaction on the calling thread's connection, the driver's errors as StoreError."""
        raise NotImplementedError

    def _many(self, conn: Any, sql: str, rows: list[tuple]) -> None:
        conn.executemany(self._sql(sql), rows)

    def _sql(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _read(self, sql: str, params: tuple) -> Any:
        return self.store.conn.execute(self._sql(sql), params)

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        check_subscription(url, interval_s)
        with self._writing() as conn:
            # One statement, so two machines adding the same feed at once both succeed.
            added = conn.execute(self._sql("INSERT INTO feeds (url, title, interval_s, added_at) VALUES (?, ?, ?, ?) "
                                           "ON CONFLICT (url) DO NOTHING"),
                                 (url, title, interval_s, now_iso())).rowcount == 1
            if not added and update:
                conn.execute(self._sql("UPDATE feeds SET interval_s = ? WHERE url = ?"), (interval_s, url))
            return added

    def remove(self, url: str) -> list[str] | None:
        with self._writing() as conn:
            # The row lock (where the backend has one) keeps two removals from both reporting its documents.
            if conn.execute(self._sql("SELECT 1 FROM feeds WHERE url = ?" + self.LOCK_ROW), (url,)).fetchone() is None:
                return None
            only_here = [row[0] for row in conn.execute(self._sql(
                f"SELECT DISTINCT doc_id FROM feed_items WHERE feed_url = ? AND {MADE} AND doc_id NOT IN "
                "(SELECT doc_id FROM feed_items WHERE feed_url <> ?) ORDER BY doc_id"), (url, url))]
            # The others are carried (same content) by feeds that stay: theirs now, to keep or remove.
            conn.execute(self._sql(f"UPDATE feed_items SET {MADE} = TRUE WHERE feed_url <> ? AND doc_id IN ({_MADE_BY})"),
                         (url, url))
            conn.execute(self._sql("DELETE FROM feeds WHERE url = ?"), (url,))  # its items cascade
            return only_here

    def all(self) -> list[Feed]:
        return [Feed(*row) for row in self._read(f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, url", ())]

    def get(self, url: str) -> Feed | None:
        row = self._read(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return Feed(*row) if row else None

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        now = now_iso()
        with self._writing() as conn:
            conn.execute(self._sql(
                "UPDATE feeds SET last_fetch = ?, http_status = ?, last_error = ?, "
                "last_success = COALESCE(?, last_success), "
                "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "title = COALESCE(?, title), items_seen = COALESCE(?, items_seen) WHERE url = ?"),
                (now, status, error, now if error is None else None, etag, last_modified, title,
                 items_seen, url))

    def items_of(self, url: str) -> dict[str, FeedItem]:
        rows = self._read(f"SELECT {ITEM_COLUMNS} FROM feed_items WHERE feed_url = ?", (url,))
        return {row[0]: read_item(row) for row in rows}

    def doc_for_link(self, link: str, url: str) -> str | None:
        row = self._read(f"{_MADE_BY} AND link = ? LIMIT 1", (url, link)).fetchone()
        return row[0] if row else None

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = now_iso()
        with self._writing() as conn:
            self._many(conn, _UPSERT_ITEM, [item_row(url, i, now) for i in items])

    def restore(self, feed: Feed, items: Sequence[FeedItem]) -> None:
        with self._writing() as conn:
            conn.execute(self._sql(_RESTORE_FEED), feed_row(feed))
            conn.execute(self._sql("DELETE FROM feed_items WHERE feed_url = ?"), (feed.url,))
            self._many(conn, _UPSERT_ITEM, [item_row(feed.url, i, i.seen_at or now_iso()) for i in items])
