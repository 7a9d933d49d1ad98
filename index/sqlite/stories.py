"""The story table in the SQLite store's database: a `StoryStore` over an `index.sqlite.SqliteStore`.

The table is created with the store's own (``STORIES_SCHEMA``, run by index.sqlite.schema.create) and
added to an older store by ``add_story_table`` (its step from version 2; the memberships are then
made by ``newsrag stories rebuild``). Every write is one transaction on the store's connection and
writer lock. Not here: the statements (index.story_tables), the records (index.stories), the
PostgreSQL side (index.postgres.stories).
"""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Iterator

from index.errors import StoreError
from index.story_tables import StoryStatements, StoryTables

STORIES_SCHEMA = """
-- One row per article that has a story (index.stories): removing or replacing the document
-- removes it, and a story is gone with its last row.
CREATE TABLE IF NOT EXISTS story_articles (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    story_id TEXT NOT NULL,
    day TEXT NOT NULL,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    lead TEXT NOT NULL,
    names TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS story_articles_by_day ON story_articles(day);
CREATE INDEX IF NOT EXISTS story_articles_by_story ON story_articles(story_id);
"""


def add_story_table(conn: sqlite3.Connection) -> None:
    """Schema version 2 to 3: the story table (empty until ``newsrag stories rebuild``)."""
    from index.sqlite.schema import _statements

    for statement in _statements(STORIES_SCHEMA):
        conn.execute(statement)


class SqliteStoryStore(StoryTables):
    """The story table of one `SqliteStore` (sharing its connections and writer lock)."""

    SQL = StoryStatements.with_marker("?")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.store._transaction() as conn:
                yield conn
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.store.describe()}: story write refused: {exc}") from None
