"""A brief or a timeline as an `Answer`, so the chat and ``ask`` show it with its sources as they
show answers: `story_answer`.

A brief's sentences are its stories' summaries, the first saying how many outlets carry the story
("..., reported by 3 outlets [1][2][3].") and each citing its articles; a timeline's, one per article in date order ("2024-03-01, a.example:
title. lead sentence."). Each cited article is a source whose passage is its lead, with the
sentence the answer took from it highlighted (the headline's citations highlight the lead's first
sentence, which says the same in more words). No language model by default: the answer is
extractive and its citations hold by construction; with ``story_summaries = "model"`` a brief's
lines are the model's checked summaries (rag.stories.written) and the answer names the model. None when no story matches, so the question is answered the
ordinary way. Not here: deciding that a question asks for a brief (rag.stories.intent).
"""
from __future__ import annotations

import time
from datetime import date
from typing import Sequence

from index.records import Passage
from index.stories import StoryArticle, StoryStore
from rag.markers import split_closing
from rag.records import Answer, AnswerSentence, Citation
from rag.stories.brief import FindDocs, brief
from rag.stories.intent import StoryQuestion
from rag.stories.summary import EXTRACTIVE, Summariser, first_sentence
from rag.stories.timeline import timeline
from rag.timeexpr import TimeWindow

BRIEF_WORDS = 250  # a chat brief: about ten headlines
TIMELINE_STORIES = 5


def story_answer(question: str, asked: StoryQuestion, stories: StoryStore, find: FindDocs | None,
                 summarise: Summariser = EXTRACTIVE) -> Answer | None:
    """``question`` answered by the brief or timeline ``asked`` names, or None when it finds no story."""
    started = time.perf_counter()
    if asked.kind == "timeline":
        found = timeline(stories, asked.topic or "", find=find, limit=TIMELINE_STORIES)
        if not found.entries:
            return None
        articles = {a.doc_id: a for s in found.stories for a in s.articles}
        cited = [articles[e.doc_id] for e in found.entries]
        sentences = [(f"{e.day}, {e.outlet}: {_ended(e.title)} {e.sentence}".strip(), (e.doc_id,), e.sentence)
                     for e in found.entries]
        window, model = None, ""
    else:
        found = brief(stories, asked.window, asked.topic, BRIEF_WORDS, find=find if asked.topic else None,
                      summarise=summarise)
        if not found.items:
            return None
        cited = list(found.sources)
        sentences = []
        for item in found.items:
            for i, s in enumerate(item.sentences):
                note = f", reported by {item.outlets} outlet{'s' if item.outlets != 1 else ''}" if i == 0 else ""
                sentences.append((s.text.rstrip(".") + note + ".", s.doc_ids, s.text if i else ""))
        start, end = asked.window
        window = TimeWindow(date.fromisoformat(start), date.fromisoformat(end), "brief")
        model = summarise.writer
    return _answer(question, asked.kind, sentences, cited, stories, window, time.perf_counter() - started, model)


def _answer(question: str, kind: str, sentences: Sequence[tuple[str, tuple[str, ...], str]],
            cited: Sequence[StoryArticle], stories: StoryStore, window: TimeWindow | None,
            seconds: float, model: str = "") -> Answer:
    numbers = {a.doc_id: n for n, a in enumerate(cited, 1)}
    urls = stories.urls_of(list(numbers))
    passages = {a.doc_id: Passage(-n, a.doc_id, a.title, a.lead, 0, len(a.lead), url=urls.get(a.doc_id),
                                  published=a.day, source=a.outlet) for n, a in enumerate(cited, 1)}
    spans: dict[str, tuple[int, int]] = {}
    citing: dict[str, list[int]] = {}
    out = []
    for i, (text, doc_ids, quoted) in enumerate(sentences):
        out.append(AnswerSentence(text, tuple(numbers[d] for d in doc_ids), True))
        for d in doc_ids:
            citing.setdefault(d, []).append(i)
            spans.setdefault(d, _span(passages[d].text, quoted))
    citations = tuple(Citation(numbers[d], passages[d], *spans[d], tuple(citing[d])) for d in numbers)
    text = "\n".join(_marked(s) for s in out)
    timings = {"retrieval": seconds, "first_token": seconds, "total": seconds}
    return Answer(question, text, tuple(out), citations, tuple(passages.values()), False, timings,
                  0, model, window, form=kind)


def _marked(sentence: AnswerSentence) -> str:
    body, closing = split_closing(sentence.text)
    return f"{body} {''.join(f'[{n}]' for n in sentence.citations)}{closing}"


def _span(lead: str, quoted: str) -> tuple[int, int]:
    """Where ``quoted`` is in the lead, else the lead's first sentence."""
    at = lead.find(quoted) if quoted else -1
    if at >= 0:
        return at, at + len(quoted)
    first = first_sentence(lead)
    at = lead.find(first)
    return (at, at + len(first)) if first and at >= 0 else (0, len(lead))


def _ended(title: str) -> str:
    title = title.strip()
    return title if not title or title[-1] in ".?!" else title + "."
