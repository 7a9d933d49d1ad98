"""Choose the sentences of the retrieved passages that go into the prompt.

A 1.5B model on two cores reads about 60 prompt tokens a second (measured on the development
machines), so four whole passages (about 700 tokens) would cost twelve seconds before the first
answer token. Instead each passage contributes its best window of consecutive sentences, scored
by embedding similarity to the question plus the share of the question's content words it
contains, within a character budget. The window is also the exact span a citation points at.
Given the question's current span (`current_span`: the CURRENT_DAYS up to its as-of day or to the
end of the window it names), the reports published in it go first and take the largest windows: a
1.5B reader does not weigh dates, and given last year's report beside this week's it names last
year's winner. An older report is shown only when it matches the question better than every
current one (the background a current report lacks); otherwise the reader copies its answer from
it. A window whose text an earlier window already shows is not shown twice.
Not here: retrieval itself, and judging the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import numpy as np

from index.records import Passage, day_of
from rag.asof import CURRENT_DAYS
from rag.embedding import Embedder
from rag.headings import join_headings
from rag.question import Question
from rag.timeexpr import TimeWindow
from rag.text import overlap, sentence_spans

# Weight of lexical overlap next to cosine similarity: names and numbers in a question are
# strong evidence that embeddings of a small model blur.
LEXICAL_WEIGHT = 0.5
MAX_PASSAGES = 4
TOP_SHARE = 0.45
MIN_WINDOW = 200


@dataclass(frozen=True)
class Evidence:
    """A numbered excerpt shown to the model: ``passage.text[start:end]``."""

    number: int
    passage: Passage
    start: int
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def select_evidence(question: Question, query_vector: np.ndarray, passages: Sequence[Passage],
                    embedder: Embedder, budget_chars: int, *,
                    current: tuple[date, date] | None = None) -> list[Evidence]:
    """The best sentence window of each passage, strongest first, within ``budget_chars``.

    ``current``: the days (start, end exclusive) whose reports come first (`current_span`); when
    a report dated in it is among ``passages``, an older passage is kept only if it outscores them all.
    """
    if not passages:
        return []
    q_words = question.search_words  # a follow-up's evidence is scored against both questions
    # A heading line is scored, shown and cited together with the sentence under it (rag.headings).
    spans = [join_headings(p.text, sentence_spans(p.text)) or [(0, len(p.text))] for p in passages]
    texts = [p.text[s:e] for p, ss in zip(passages, spans) for s, e in ss]
    vectors = embedder.embed(texts)
    sims = vectors @ np.asarray(query_vector, dtype=np.float32)
    scored: list[tuple[float, int, list[float]]] = []
    offset = 0
    for i, ss in enumerate(spans):
        scores = [
            float(sims[offset + j]) + LEXICAL_WEIGHT * overlap(q_words, texts[offset + j])
            for j in range(len(ss))
        ]
        offset += len(ss)
        scored.append((max(scores), i, scores))
    scored.sort(key=lambda item: item[0], reverse=True)
    if current is not None:
        now_ids = {i for i, p in enumerate(passages) if is_current(p, current)}
        scored.sort(key=lambda item: item[1] not in now_ids)  # stable: by score within
        # An older report that matches the question less well than every current one is what a
        # 1.5B reader copies its answer from ("Finnair will weigh passengers" beside this week's
        # Korean Air): it is left out, and its characters go to the current windows. Only a dated
        # report is known to be current: an undated note never pushes a dated report out.
        now = max((best for best, i, _ in scored if i in now_ids and day_of(passages[i].published)),
                  default=None)
        if now is not None:
            scored = [item for item in scored if item[1] in now_ids or item[0] > now]

    slots = min(len(scored), MAX_PASSAGES)
    chosen: list[tuple[int, int, int, float]] = []
    used = 0
    for best, i, scores in scored:
        rank = len(chosen)
        if used >= budget_chars or rank == slots:
            break
        # The strongest passage most often holds the answer, and an answer often sits in the
        # sentence after the one that matches the question: give it the largest window.
        left = budget_chars - used
        share = int(left * TOP_SHARE) if rank == 0 and slots > 1 else left // (slots - rank)
        lo, hi = _window(spans[i], scores, max(min(MIN_WINDOW, left), share))
        start, end = spans[i][lo][0], spans[i][hi][1]
        shown = passages[i].text[start:end].strip()
        if any(shown in passages[j].text[a:b] for j, a, b, _ in chosen):
            continue  # a heading repeated as the next chunk's first line, or a syndicated copy
        chosen.append((i, start, end, best))
        used += end - start
    return [
        Evidence(number, passages[i], start, end, score)
        for number, (i, start, end, score) in enumerate(chosen, start=1)
    ]


def current_span(window: TimeWindow | None, as_of: date) -> tuple[date, date]:
    """The days (start, end exclusive) a question asks about: the CURRENT_DAYS up to its as-of
    day, or to the end of the window it names ("this week", "in March 2023"), stretched back to
    that window's start; without a window, reports dated after ``as_of`` count as current too.

    A week's window alone would put the background report of ten days before behind last year's
    article: quiz and chat questions say "this week" of events first reported a little earlier.
    """
    if window is None:
        return as_of - timedelta(days=CURRENT_DAYS), date.max
    last = window.end - timedelta(days=1)
    return min(window.start, last - timedelta(days=CURRENT_DAYS)), window.end


def is_current(passage: Passage, span: tuple[date, date]) -> bool:
    """Published within ``span`` (start inclusive, end exclusive), or undated."""
    published = day_of(passage.published)
    return published is None or span[0] <= published < span[1]


def _window(spans: list[tuple[int, int]], scores: list[float], budget: int) -> tuple[int, int]:
    """Grow a window around the best sentence towards the better neighbour while it fits."""
    best = int(np.argmax(scores))
    lo = hi = best
    # The first sentence always goes in, even over budget: cutting it would cut the evidence.
    while True:
        left = scores[lo - 1] if lo > 0 else None
        right = scores[hi + 1] if hi + 1 < len(spans) else None
        if left is None and right is None:
            break
        # Prefer the following sentence on ties: news sentences lean on what came before less
        # often than they continue into the next.
        grow_right = right is not None and (left is None or right >= left)
        new_size = (spans[hi + 1][1] - spans[lo][0]) if grow_right else (spans[hi][1] - spans[lo - 1][0])
        if new_size > budget:
            break
        if grow_right:
            hi += 1
        else:
            lo -= 1
    return lo, hi
