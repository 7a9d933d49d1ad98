"""Briefings: the stories of a window, most important first, each with its summary, citations and
how many outlets carry it, cut to a number of words.

`brief` is what the CLI (`newsrag brief`), the bench and the chat call. Every sentence cites its
articles with [n] markers numbered in order of first citation; the brief's sources are those
articles, numbered. A topic restricts the brief to the stories of the documents ``find`` returns
for it (retrieval), or without ``find``, to the stories whose headline or leads hold its words.
Not here: the summaries (rag.stories.summary), which story an article is in (rag.stories.assign),
rendering for the terminal (rag.stories.render).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from index.base import DateWindow
from index.stories import Story, StoryArticle, StoryStore
from rag.stories.story import stories_in
from rag.stories.summary import EXTRACTIVE, FACTS, Sentence, Summariser
from rag.text import content_words

# How many of the most important stories also get a lead sentence; the others, their headline
# alone. Chosen on stories-dev's 2022 weeks (bench/stories_tune.py): a lead sentence costs the
# words of two or three more headlines, and headlines alone stated the most answers in 100 and
# 400 words (0.196 and 0.477; with every story's lead, 0.129 and 0.383).
LEADS: int | None = 0
FindDocs = Callable[[str], Sequence[str]]  # a topic -> the ids of the documents retrieval finds


@dataclass(frozen=True)
class BriefItem:
    story: Story
    sentences: tuple[Sentence, ...]

    @property
    def outlets(self) -> int:
        return len(self.story.outlets)


@dataclass(frozen=True)
class Brief:
    window: DateWindow | None
    topic: str | None
    items: tuple[BriefItem, ...]
    sources: tuple[StoryArticle, ...]  # numbered from 1, in order of first citation

    def number(self, doc_id: str) -> int:
        return next(i for i, a in enumerate(self.sources, 1) if a.doc_id == doc_id)

    def item_text(self, item: BriefItem) -> str:
        parts = [s.text + "".join(f"[{self.number(d)}]" for d in s.doc_ids) for s in item.sentences]
        outlets = item.outlets
        return " ".join(parts) + f" ({outlets} outlet{'s' if outlets != 1 else ''})"

    @property
    def text(self) -> str:
        """The brief's body: one line per story (the sources are listed apart)."""
        return "\n".join(self.item_text(i) for i in self.items)

    @property
    def cited(self) -> list[str]:
        return [a.doc_id for a in self.sources]


def retrieval_finder(retriever, passages: int = 30) -> FindDocs:
    """Topic -> the documents ``retriever`` (rag.retrieval.Retriever) finds for it, ``passages``' worth."""
    return lambda topic: [p.doc_id for p in retriever.retrieve(topic, top_k=passages, prefer=None)]


def words(text: str) -> int:
    return len(text.split())


def brief(stories: StoryStore, window: DateWindow | None, topic: str | None = None, max_words: int = 400,
          *, find: FindDocs | None = None, leads: int | None = LEADS, facts: int = FACTS,
          summarise: Summariser = EXTRACTIVE) -> Brief:
    """The brief of ``window``: stories most important first, until ``max_words`` (the story that
    crosses it is the last); the first ``leads`` stories (all when None) get their lead sentence too,
    each its title and up to ``facts`` agreed facts not yet stated (rag.stories.summary), or, with
    the model's ``summarise`` (rag.stories.written), its written summary. A summary is made only
    for the stories the brief shows, so a model writes only those."""
    chosen = stories_in(stories, window)
    if topic:
        chosen = _on_topic(stories, chosen, topic, find)
    items: list[BriefItem] = []
    used = 0
    for story in chosen:
        if used >= max_words:
            break
        said = " ".join(s.text for i in items for s in i.sentences)
        item = BriefItem(story, summarise(story, 2 if leads is None or len(items) < leads else 1, facts, said))
        items.append(item)
        used += sum(words(s.text) + 1 for s in item.sentences) + 1
    order: dict[str, StoryArticle] = {}
    for item in items:
        by_id = {a.doc_id: a for a in item.story.articles}
        for s in item.sentences:
            for d in s.doc_ids:
                order.setdefault(d, by_id[d])
    return Brief(window, topic, tuple(items), tuple(order.values()))


def _on_topic(stories: StoryStore, chosen: list[Story], topic: str, find: FindDocs | None) -> list[Story]:
    if find is not None:
        wanted = set(stories.stories_of(list(find(topic))).values())
        return [s for s in chosen if s.id in wanted]
    words_ = set(content_words(topic))
    return [s for s in chosen
            if words_ and words_ <= set(content_words(" ".join([s.headline] + [a.lead for a in s.articles])))]
