"""Corroboration of an answer's sources: each cited article's story, and how many other outlets
carry that story ("also reported by 3 outlets").

Read from the story table, no model: a story's outlets are the distinct sites (else hosts) of its
articles. The CLI's ``ask`` shows it under each source and ``ask --json`` adds it to each citation;
the chat can call `corroborate` the same way. Not here: grouping articles (rag.stories.assign).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from index.stories import StoryStore
from rag.stories.story import make_story


@dataclass(frozen=True)
class Corroboration:
    doc_id: str
    story_id: str
    headline: str
    outlets: tuple[str, ...]  # every outlet of the story, the article's own included
    articles: int
    others: int  # outlets other than the article's own

    @property
    def text(self) -> str:
        if self.others == 0:
            return f"story: {self.headline} (only this outlet)"
        return f"story: {self.headline}; also reported by {self.others} outlet{'s' if self.others != 1 else ''}"

    def json(self) -> dict:
        return {"story_id": self.story_id, "headline": self.headline, "outlets": list(self.outlets),
                "articles": self.articles, "other_outlets": self.others}


def corroborate(stories: StoryStore, doc_ids: Sequence[str]) -> dict[str, Corroboration]:
    """For each of ``doc_ids`` that has a story, its corroboration."""
    story_of = stories.stories_of(doc_ids)
    built = {i: make_story(i, arts) for i, arts in stories.articles_of(list(set(story_of.values()))).items()}
    out = {}
    for doc_id, story_id in story_of.items():
        story = built.get(story_id)
        if story is None:
            continue
        own = next(a.outlet for a in story.articles if a.doc_id == doc_id)
        out[doc_id] = Corroboration(doc_id, story_id, story.headline, story.outlets, len(story.articles),
                                    len(set(story.outlets) - {own}))
    return out
