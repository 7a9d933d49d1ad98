"""The story table in PostgreSQL: a `StoryStore` over an `index.postgres.PostgresStore`.

The table is created by the schema's numbered steps (index.postgres.schema, step 7). Every write
is one transaction on a connection of the store's pool. Not here: the statements
(index.story_tables), the records (index.stories), the SQLite side (index.sqlite.stories).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

from index.errors import StoreError
from index.stories import StoryArticle
from index.story_tables import StoryStatements, StoryTables

_ATTEMPTS = 3


class PostgresStoryStore(StoryTables):
    """The story table of one `PostgresStore` (borrowing its pool's connections)."""

    SQL = StoryStatements.with_marker("%s")

    def put(self, articles: Sequence[StoryArticle]) -> None:
        # A document replaced by another process while this runs can fail the foreign key check
        # (it waits for that transaction and then sees the old row deleted, not the new one);
        # once that transaction has committed, the same statement sees the new row.
        for _ in range(_ATTEMPTS - 1):
            try:
                return super().put(articles)
            except _Raced:
                continue
        try:
            return super().put(articles)
        except _Raced as exc:
            raise StoreError(f"{self.store.describe()}: story write failed: {exc}") from None

    def _lock(self, conn: Any, doc_ids: Sequence[str]) -> None:
        # The document writer's locks: without them this transaction's foreign-key checks and a
        # concurrent replacement's delete lock the same document rows in opposite orders (a
        # deadlock in test_concurrent_readers_and_writers[postgres]).
        self.store.lock_documents(conn, doc_ids)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        import psycopg

        try:
            with self.store.connection() as conn, conn.transaction():
                yield conn
        except psycopg.errors.ForeignKeyViolation as exc:
            raise _Raced(str(exc).strip()) from None
        except psycopg.Error as exc:
            raise StoreError(f"{self.store.describe()}: story write failed: {str(exc).strip()}") from None


class _Raced(Exception):
    """A story write lost a race with a concurrent replacement of its document."""
