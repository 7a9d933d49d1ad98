"""The feed tables in PostgreSQL: a `FeedStore` over an `index.postgres.PostgresStore`.

The tables are created by the schema's numbered steps (index.postgres.schema, step 4). Every
write is one transaction on the store's connection of the calling thread; subscribing is one
``INSERT ... ON CONFLICT``, so two machines adding the same feed at once both succeed, and
removing a feed locks its row first, so two removals do not both report its documents. Values
always travel as psycopg parameters. Not here: the statements (index.feed_tables), the records
and the interface (index.feeds), the SQLite side (index.sqlite.feeds).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from index.errors import StoreError
from index.feed_tables import FeedTables


class PostgresFeedStore(FeedTables):
    """The feed tables of one `PostgresStore` (borrowing its pool's connections)."""

    PARAM = "%s"
    LOCK_ROW = " FOR UPDATE"

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """A transaction on a connection of the store's pool; any server error (an item of no feed, a
        read-only replica) is a StoreError, after the transaction is rolled back."""
        import psycopg

        try:
            with self.store.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.store.describe()}: feed write failed: {str(exc).strip()}") from None

    def _read(self, sql: str, params: tuple) -> Any:
        return self.store.execute(self._sql(sql), params)

    def _many(self, conn: Any, sql: str, rows: list[tuple]) -> None:
        with conn.cursor() as cur:  # a psycopg connection has no executemany of its own
            cur.executemany(self._sql(sql), rows)
