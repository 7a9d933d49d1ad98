"""Stories as they are read: built from their articles, headlined, ranked; `current_stories`.

A story's headline is the title of its most representative article (the one closest to the
centroid of the story's article vectors; the earliest on a tie). Stories are ranked by how many
outlets carry them, then how many articles, then how recent their last article is: several
outlets reporting one event is what makes it news. Not here: which story an article joins
(rag.stories.assign), summaries, briefs and timelines (rag.stories.summary, brief, timeline).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Sequence

import numpy as np

from index.base import DateWindow
from index.stories import Story, StoryArticle, StoryStore


def make_story(story_id: str, articles: Sequence[StoryArticle]) -> Story:
    """A story from its articles (at least one)."""
    ordered = sorted(articles, key=lambda a: (a.day, a.doc_id))
    vectors = np.vstack([a.vector / (np.linalg.norm(a.vector) or 1.0) for a in ordered])
    closeness = vectors @ vectors.mean(axis=0)
    best = ordered[int(np.argmax(closeness))]  # argmax takes the first (earliest) on a tie
    return Story(story_id, best.title, best.doc_id, ordered[0].day, ordered[-1].day, tuple(ordered))


def rank_key(story: Story) -> tuple:
    return (-len(story.outlets), -len(story.articles), _neg_day(story.last_day), story.id)


def _neg_day(day: str) -> int:
    return -date.fromisoformat(day).toordinal()


def stories_in(stories: StoryStore, window: DateWindow | None = None,
               limit: int | None = None) -> list[Story]:
    """The stories with an article in ``window`` (all when None), most important first; with a
    window, each story holds only its articles of the window (a brief of a week tells that week)."""
    ids = stories.story_ids(window)
    built = []
    for story_id, articles in stories.articles_of(ids).items():
        if window is not None:
            articles = [a for a in articles if window[0] <= a.day < window[1]]
        if articles:
            built.append(make_story(story_id, articles))
    built.sort(key=rank_key)
    return built[:limit] if limit is not None else built


def current_stories(stories: StoryStore, limit: int = 20, days: int = 7,
                    today: date | None = None) -> list[Story]:
    """The most important stories of the last ``days`` days (up to ``today``, inclusive)."""
    today = today or date.today()
    window = ((today - timedelta(days=days - 1)).isoformat(), (today + timedelta(days=1)).isoformat())
    return stories_in(stories, window, limit)


def story(stories: StoryStore, story_id: str) -> Story | None:
    articles = stories.articles_of([story_id]).get(story_id)
    return make_story(story_id, articles) if articles else None
