"""Timelines: how a story, or the stories of a topic, developed, read top to bottom.

`timeline` takes a story id, or a topic (the stories of the documents ``find`` returns for it, or
without ``find``, those whose headline or leads hold its words), and lists every article in date
order with its day, outlet, title and lead sentence, each entry citing its article. Not here:
briefs (rag.stories.brief), rendering (rag.stories.render).
"""
from __future__ import annotations

from dataclasses import dataclass

from index.stories import Story, StoryArticle, StoryStore
from rag.stories.brief import FindDocs, _on_topic
from rag.stories.story import stories_in, story
from rag.stories.summary import first_sentence


@dataclass(frozen=True)
class TimelineEntry:
    day: str
    outlet: str
    title: str
    sentence: str
    doc_id: str
    story_id: str


@dataclass(frozen=True)
class Timeline:
    query: str
    stories: tuple[Story, ...]  # in date order of their first article
    entries: tuple[TimelineEntry, ...]  # every article of them, in date order; entry n cites [n]


def timeline(stories: StoryStore, topic_or_id: str, *, find: FindDocs | None = None, limit: int = 10) -> Timeline:
    """The timeline of a story id, else of up to ``limit`` stories of the topic."""
    one = story(stories, topic_or_id)
    chosen = [one] if one is not None else _on_topic(stories, stories_in(stories), topic_or_id, find)[:limit]
    chosen.sort(key=lambda s: (s.first_day, s.id))
    articles: list[StoryArticle] = sorted((a for s in chosen for a in s.articles), key=lambda a: (a.day, a.doc_id))
    entries = tuple(TimelineEntry(a.day, a.outlet, a.title, first_sentence(a.lead), a.doc_id, a.story_id)
                    for a in articles)
    return Timeline(topic_or_id, tuple(chosen), entries)
