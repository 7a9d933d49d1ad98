"""The story table in PostgreSQL: a `StoryStore` over an `index.postgres.PostgresStore`.

The table is created by the schema's numbered steps (index.postgres.schema, step 6). Every write
is one transaction on a connection of the store's pool. Not here: the statements
(index.story_tables), the records (index.stories), the SQLite side (index.sqlite_stories).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from index.errors import StoreError
from index.story_tables import StoryTables


class PostgresStoryStore(StoryTables):
    """The story table of one `PostgresStore` (borrowing its pool's connections)."""

    PARAM = "%s"

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        import psycopg

        try:
            with self.store.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.store.describe()}: story write failed: {str(exc).strip()}") from None

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return list(self.store.execute(self._sql(sql), params))
