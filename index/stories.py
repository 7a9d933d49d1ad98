"""Stories in the store: which story each article belongs to, the records and the interface,
shared by both backends.

One table, ``story_articles``, holds an article's membership: its story id, its day, its outlet,
its title and lead, the names it mentions and its article vector (what rag.stories.assign
compares). A story is the set of rows with one story id: there is no story row that could
disagree with its articles, so a story whose last article goes is gone, and a document removed or
replaced takes its row with it (ON DELETE CASCADE from ``documents``; a replaced document is
assigned again by the Ingestor). `StoryStore` is what the assigner, the briefs and `migrate`
call: `index.sqlite.stories.SqliteStoryStore` and `index.postgres.stories.PostgresStoryStore`
implement it over `index.story_tables.StoryTables` (the SQL, once). Not here: deciding which story
an article joins (rag.stories.assign), headlines, summaries and ranking (rag.stories).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from index.base import DateWindow

# A membership's stored columns, in `StoryArticle`'s field order.
ARTICLE_COLUMNS = "doc_id, story_id, day, outlet, title, lead, names, vector"
NAMES_SEPARATOR = "\x1f"  # between names in the ``names`` column (a name never holds it)


@dataclass(frozen=True)
class StoryArticle:
    """One article's place in a story, with what assignment compares (vector, names, day)."""

    doc_id: str
    story_id: str
    day: str  # ISO date: published, else the day it was added
    outlet: str  # the publication: its site name, else its URL's host, else its source
    title: str
    lead: str  # the article's first sentences, as the summaries and timelines quote them
    names: tuple[str, ...] = ()
    vector: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), compare=False, repr=False)


@dataclass(frozen=True)
class Story:
    """A story as the briefs show it: its articles in date order, its headline article first
    among equals (the most representative, chosen by rag.stories)."""

    id: str
    headline: str
    headline_doc: str
    first_day: str
    last_day: str
    articles: tuple[StoryArticle, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({a.outlet for a in self.articles}))


class StoryStore(Protocol):
    """The story memberships of one document store. Safe to share between threads, as the store is."""

    def within(self, window: DateWindow) -> list[StoryArticle]:
        """The articles of days ``start <= day < end``, with their vectors: an assignment's
        candidates (an index on the day keeps this to the window, whatever the archive's size)."""

    def put(self, articles: Sequence[StoryArticle]) -> None:
        """Insert or replace these memberships, in one transaction. An article whose document is
        not stored (removed by another process since it was written) is skipped: it has no story."""

    def articles_of(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]:
        """Each story's articles, in date order (a story id with no articles is left out)."""

    def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The story id of each of these documents that has one."""

    def urls_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The URL of each of these documents that has one (for links to a story's articles)."""

    def story_ids(self, window: DateWindow | None = None) -> list[str]:
        """The stories with an article in ``window`` (every story when None), newest first."""

    def clear(self, since: str | None = None) -> int:
        """Forget the memberships of articles of day >= ``since`` (all when None); how many."""

    def count(self) -> tuple[int, int]:
        """(articles with a story, stories)."""


def article_row(a: StoryArticle) -> tuple:
    """An article's values for ARTICLE_COLUMNS (the vector as float32 bytes)."""
    return (a.doc_id, a.story_id, a.day, a.outlet, a.title, a.lead, NAMES_SEPARATOR.join(a.names),
            np.ascontiguousarray(a.vector, dtype=np.float32).tobytes())


def read_article(row: tuple) -> StoryArticle:
    names = tuple(n for n in (row[6] or "").split(NAMES_SEPARATOR) if n)
    return StoryArticle(row[0], row[1], row[2], row[3], row[4], row[5], names,
                        np.frombuffer(bytes(row[7]), dtype=np.float32))
