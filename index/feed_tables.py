"""The SQL of the feed tables, once for both backends: `FeedTables`, a `FeedStore` over a
document store's connection.

A backend subclass says how it writes (``_writing``: its transaction, with its driver's errors
as StoreError) and reads, its copy of `FeedStatements` with its driver's parameter marker, how
it locks a feed's row before removing it, and how it runs one statement over many rows. Everything else, every statement included, is here, so a
rule such as "a feed only removes the documents it made" is written once. Not here: the tables'
DDL (index.sqlite.feeds, index.postgres.schema), the records and the interface (index.feeds).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Sequence

from index.feeds import (FEED_COLUMNS, ITEM_COLUMNS, MADE, STORED_FEED_COLUMNS, Feed, FeedItem,
                         check_subscription, feed_row, item_row, now_iso, read_item)
from index.statements import Statements


def _marks(n: int) -> str:
    return ", ".join(["{p}"] * n)


# The documents a feed made; ``made`` is a boolean in PostgreSQL, 0 or 1 in SQLite, true either way.
_MADE_BY = f"SELECT doc_id FROM feed_items WHERE feed_url = {{p}} AND {MADE}"


@dataclass(frozen=True)
class FeedStatements(Statements):
    """The feed tables' SQL, parameters as ``{p}`` until `with_marker` fills in the driver's marker."""

    upsert_item: str = (f"INSERT INTO feed_items (feed_url, {ITEM_COLUMNS}) VALUES ({_marks(7)}) "
                        "ON CONFLICT (feed_url, key) DO UPDATE SET link = excluded.link, "
                        "doc_id = excluded.doc_id, entry_hash = excluded.entry_hash, "
                        "seen_at = excluded.seen_at, made = excluded.made")
    # An upsert, not a delete and insert: replacing the feed's row would cascade to its items.
    restore_feed: str = (f"INSERT INTO feeds ({STORED_FEED_COLUMNS}) VALUES ({_marks(11)}) "
                         "ON CONFLICT (url) DO UPDATE SET title = excluded.title, interval_s = excluded.interval_s, "
                         "added_at = excluded.added_at, last_fetch = excluded.last_fetch, "
                         "last_success = excluded.last_success, http_status = excluded.http_status, "
                         "etag = excluded.etag, last_modified = excluded.last_modified, "
                         "last_error = excluded.last_error, items_seen = excluded.items_seen")
    # One statement, so two machines adding the same feed at once both succeed.
    add: str = "INSERT INTO feeds (url, title, interval_s, added_at) VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (url) DO NOTHING"
    set_interval: str = "UPDATE feeds SET interval_s = {p} WHERE url = {p}"
    feed_exists: str = "SELECT 1 FROM feeds WHERE url = {p}"
    only_here: str = (f"SELECT DISTINCT doc_id FROM feed_items WHERE feed_url = {{p}} AND {MADE} AND doc_id NOT IN "
                      "(SELECT doc_id FROM feed_items WHERE feed_url <> {p}) ORDER BY doc_id")
    hand_over: str = (f"UPDATE feed_items SET {MADE} = TRUE WHERE feed_url <> {{p}} AND doc_id IN "
                      f"({_MADE_BY})")
    delete_feed: str = "DELETE FROM feeds WHERE url = {p}"
    all_feeds: str = f"SELECT {FEED_COLUMNS} FROM feeds ORDER BY added_at, url"
    get_feed: str = f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = {{p}}"
    record_fetch: str = ("UPDATE feeds SET last_fetch = {p}, http_status = {p}, last_error = {p}, "
                         "last_success = COALESCE({p}, last_success), "
                         "etag = COALESCE({p}, etag), last_modified = COALESCE({p}, last_modified), "
                         "title = COALESCE({p}, title), items_seen = COALESCE({p}, items_seen) WHERE url = {p}")
    items_of: str = f"SELECT {ITEM_COLUMNS} FROM feed_items WHERE feed_url = {{p}}"
    doc_for_link: str = f"{_MADE_BY} AND link = {{p}} LIMIT 1"
    delete_items: str = "DELETE FROM feed_items WHERE feed_url = {p}"



class FeedTables:
    """The feed tables of one document store. A backend sets ``SQL`` (`FeedStatements.with_marker`
    of its driver's marker) and the methods below that raise."""

    SQL: FeedStatements
    LOCK_ROW = ""  # appended to the SELECT that finds the feed a removal takes

    def __init__(self, store) -> None:
        self.store = store

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        """A write transaction on the calling thread's connection, the driver's errors as StoreError."""
        raise NotImplementedError

    def _read(self, sql: str, params: tuple) -> Any:
        """Run one statement of ``SQL`` outside a write; its cursor."""
        raise NotImplementedError

    def _many(self, conn: Any, sql: str, rows: list[tuple]) -> None:
        conn.executemany(sql, rows)

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        check_subscription(url, interval_s)
        with self._writing() as conn:
            added = conn.execute(self.SQL.add, (url, title, interval_s, now_iso())).rowcount == 1
            if not added and update:
                conn.execute(self.SQL.set_interval, (interval_s, url))
            return added

    def remove(self, url: str) -> list[str] | None:
        with self._writing() as conn:
            # The row lock (where the backend has one) keeps two removals from both reporting its documents.
            if conn.execute(self.SQL.feed_exists + self.LOCK_ROW, (url,)).fetchone() is None:
                return None
            only_here = [row[0] for row in conn.execute(self.SQL.only_here, (url, url))]
            # The others are carried (same content) by feeds that stay: theirs now, to keep or remove.
            conn.execute(self.SQL.hand_over, (url, url))
            conn.execute(self.SQL.delete_feed, (url,))  # its items cascade
            return only_here

    def all(self) -> list[Feed]:
        return [Feed(*row) for row in self._read(self.SQL.all_feeds, ())]

    def get(self, url: str) -> Feed | None:
        row = self._read(self.SQL.get_feed, (url,)).fetchone()
        return Feed(*row) if row else None

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        now = now_iso()
        with self._writing() as conn:
            conn.execute(self.SQL.record_fetch,
                         (now, status, error, now if error is None else None, etag, last_modified, title,
                          items_seen, url))

    def items_of(self, url: str) -> dict[str, FeedItem]:
        rows = self._read(self.SQL.items_of, (url,))
        return {row[0]: read_item(row) for row in rows}

    def doc_for_link(self, link: str, url: str) -> str | None:
        row = self._read(self.SQL.doc_for_link, (url, link)).fetchone()
        return row[0] if row else None

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = now_iso()
        with self._writing() as conn:
            self._many(conn, self.SQL.upsert_item, [item_row(url, i, now) for i in items])

    def restore(self, feed: Feed, items: Sequence[FeedItem]) -> None:
        with self._writing() as conn:
            conn.execute(self.SQL.restore_feed, feed_row(feed))
            conn.execute(self.SQL.delete_items, (feed.url,))
            self._many(conn, self.SQL.upsert_item, [item_row(feed.url, i, i.seen_at or now_iso()) for i in items])
