"""The SQL of the story table, once for both backends: `StoryTables`, a `StoryStore` over a
document store's connection.

The statements are written once with ``{p}`` where a parameter goes, and `StoryStatements.with_marker`
fills in a driver's marker (index.statements), as for the documents' reads and the feed tables; a list
of values is matched by the store's own ``_among`` and every read runs through the store's ``_read``.
A backend subclass says how it writes (``_writing``: its transaction, with its driver's errors as
StoreError) and sets ``SQL``. Not here: the table's DDL (index.sqlite.stories,
index.postgres.schema), the records and the interface (index.stories).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Sequence

from index.base import DateWindow
from index.statements import Statements
from index.stories import ARTICLE_COLUMNS, StoryArticle, article_row, read_article

_BATCH = 500  # values matched per statement (SQLite binds one marker per value)


@dataclass(frozen=True)
class StoryStatements(Statements):
    """The story table's SQL, parameters as ``{p}`` until `with_marker`; ``{among}`` is a condition
    the store's ``_among`` makes per call."""

    within: str = (f"SELECT {ARTICLE_COLUMNS} FROM story_articles WHERE day >= {{p}} AND day < {{p}} "
                   "ORDER BY day, doc_id")
    # Only while the document is stored: another process may have removed it since it was written.
    upsert: str = (f"INSERT INTO story_articles ({ARTICLE_COLUMNS}) SELECT {', '.join(['{p}'] * 8)} "
                   "WHERE EXISTS (SELECT 1 FROM documents WHERE id = {p}) "
                   "ON CONFLICT (doc_id) DO UPDATE SET story_id = excluded.story_id, day = excluded.day, "
                   "outlet = excluded.outlet, title = excluded.title, lead = excluded.lead, "
                   "names = excluded.names, vector = excluded.vector")
    articles_of: str = f"SELECT {ARTICLE_COLUMNS} FROM story_articles WHERE {{among}} ORDER BY day, doc_id"
    stories_of: str = "SELECT doc_id, story_id FROM story_articles WHERE {among}"
    story_ids: str = "SELECT story_id FROM story_articles GROUP BY story_id ORDER BY MAX(day) DESC, story_id"
    story_ids_within: str = ("SELECT story_id FROM story_articles WHERE day >= {p} AND day < {p} "
                             "GROUP BY story_id ORDER BY MAX(day) DESC, story_id")
    urls_of: str = "SELECT id, url FROM documents WHERE {among}"
    clear: str = "DELETE FROM story_articles"
    clear_since: str = "DELETE FROM story_articles WHERE day >= {p}"
    count: str = "SELECT COUNT(*), COUNT(DISTINCT story_id) FROM story_articles"


class StoryTables:
    """The story table of one document store, read through the store's ``_read`` and ``_among``."""

    SQL: StoryStatements

    def __init__(self, store) -> None:
        self.store = store

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _lock(self, conn: Any, doc_ids: Sequence[str]) -> None:
        """Before rows of ``doc_ids`` are written: a backend whose writers run side by side takes
        the documents' locks here (SQLite has one writer at a time and takes none)."""

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return list(self.store._read(sql, params))

    def _rows_among(self, sql: str, column: str, values: Sequence[str]) -> list[tuple]:
        rows: list[tuple] = []
        for start in range(0, len(values), _BATCH):
            among, params = self.store._among(column, values[start:start + _BATCH])
            rows.extend(self._rows(sql.format(among=among), params))
        return rows

    def within(self, window: DateWindow) -> list[StoryArticle]:
        return [read_article(r) for r in self._rows(self.SQL.within, tuple(window))]

    def put(self, articles: Sequence[StoryArticle]) -> None:
        if not articles:
            return
        with self._writing() as conn:
            self._lock(conn, [a.doc_id for a in articles])
            for a in articles:
                conn.execute(self.SQL.upsert, (*article_row(a), a.doc_id))

    def articles_of(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]:
        ids = list(dict.fromkeys(story_ids))
        out: dict[str, list[StoryArticle]] = {}
        for row in self._rows_among(self.SQL.articles_of, "story_id", ids):
            out.setdefault(row[1], []).append(read_article(row))
        for articles in out.values():  # batches each come in order; the whole in date order
            articles.sort(key=lambda a: (a.day, a.doc_id))
        return {i: out[i] for i in ids if i in out}

    def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._rows_among(self.SQL.stories_of, "doc_id", list(dict.fromkeys(doc_ids))))

    def urls_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return {d: u for d, u in self._rows_among(self.SQL.urls_of, "id", list(dict.fromkeys(doc_ids))) if u}

    def story_ids(self, window: DateWindow | None = None) -> list[str]:
        if window is None:
            return [r[0] for r in self._rows(self.SQL.story_ids)]
        return [r[0] for r in self._rows(self.SQL.story_ids_within, tuple(window))]

    def clear(self, since: str | None = None) -> int:
        with self._writing() as conn:
            if since is None:
                return conn.execute(self.SQL.clear).rowcount
            return conn.execute(self.SQL.clear_since, (since,)).rowcount

    def count(self) -> tuple[int, int]:
        row = self._rows(self.SQL.count)[0]
        return int(row[0]), int(row[1])
