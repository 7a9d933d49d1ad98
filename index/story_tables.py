"""The SQL of the story table, once for both backends: `StoryTables`, a `StoryStore` over a
document store's connection.

A backend subclass says how it writes (``_writing``: its transaction, with its driver's errors
as StoreError) and its parameter marker; every statement is here. Not here: the table's DDL
(index.sqlite_stories, index.postgres.schema), the records and the interface (index.stories).
"""
from __future__ import annotations

import contextlib
from typing import Any, Sequence

from index.base import DateWindow
from index.stories import ARTICLE_COLUMNS, StoryArticle, article_row, read_article

_UPSERT = (f"INSERT INTO story_articles ({ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (doc_id) DO UPDATE SET story_id = excluded.story_id, day = excluded.day, "
           "outlet = excluded.outlet, title = excluded.title, lead = excluded.lead, "
           "names = excluded.names, vector = excluded.vector")


class StoryTables:
    """The story table of one document store (``store.conn`` is the calling thread's connection)."""

    PARAM = "?"

    def __init__(self, store) -> None:
        self.store = store

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return list(self.store.conn.execute(self._sql(sql), params))

    def within(self, window: DateWindow) -> list[StoryArticle]:
        return [read_article(r) for r in self._read(
            f"SELECT {ARTICLE_COLUMNS} FROM story_articles WHERE day >= ? AND day < ? ORDER BY day, doc_id",
            tuple(window))]

    def put(self, articles: Sequence[StoryArticle]) -> None:
        if not articles:
            return
        with self._writing() as conn:
            for a in articles:
                conn.execute(self._sql(_UPSERT), article_row(a))

    def articles_of(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]:
        out: dict[str, list[StoryArticle]] = {}
        ids = list(dict.fromkeys(story_ids))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join("?" * len(part))
            for row in self._read(f"SELECT {ARTICLE_COLUMNS} FROM story_articles WHERE story_id IN ({marks}) "
                                  "ORDER BY day, doc_id", tuple(part)):
                out.setdefault(row[1], []).append(read_article(row))
        return {i: out[i] for i in ids if i in out}

    def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ids = list(dict.fromkeys(doc_ids))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join("?" * len(part))
            out.update(self._read(f"SELECT doc_id, story_id FROM story_articles WHERE doc_id IN ({marks})",
                                  tuple(part)))
        return out

    def story_ids(self, window: DateWindow | None = None) -> list[str]:
        where, params = ("WHERE day >= ? AND day < ? ", tuple(window)) if window else ("", ())
        return [r[0] for r in self._read(f"SELECT story_id FROM story_articles {where}"
                                         "GROUP BY story_id ORDER BY MAX(day) DESC, story_id", params)]

    def clear(self, since: str | None = None) -> int:
        with self._writing() as conn:
            if since is None:
                return conn.execute("DELETE FROM story_articles").rowcount
            return conn.execute(self._sql("DELETE FROM story_articles WHERE day >= ?"), (since,)).rowcount

    def count(self) -> tuple[int, int]:
        row = self._read("SELECT COUNT(*), COUNT(DISTINCT story_id) FROM story_articles")[0]
        return int(row[0]), int(row[1])
