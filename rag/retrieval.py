"""Find the passages most likely to answer a question: dense, keyword, or both fused.

Dense search is FAISS cosine similarity over chunk embeddings; keyword search is SQLite FTS5
BM25. Hybrid mode fuses the two candidate lists with reciprocal rank fusion. A question about a
time ("this week") prefers the articles published in that window (rag.timeexpr): the ranking
searched inside the window is merged with the ranking over the whole archive, the window's
counted ``window_weight`` times; an explicit ``window`` is a hard filter instead. An as-of date
applies rag.asof's rule to the archive-wide ranking, and, for a question naming no time, its
recent days as a weaker preferred window. Every returned
passage carries its cosine similarity to the question, whichever list found it, so later steps
can judge how strong the evidence is on one scale. Not here: choosing sentences for the prompt.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Literal, Sequence

import numpy as np

from index.base import DocumentStore
from index.records import Passage
from rag.embedding import Embedder
from rag.asof import AsOfRule, as_of_day
from rag.settings import RETRIEVERS
from rag.timeexpr import TimeWindow, resolve_window


class Retriever:
    """Searches ``store``; every knob comes from `Settings` (rag.wiring), whose defaults are the
    only ones: ``window_weight`` is ``time_window_weight``, ``as_of`` the as-of rule's two values."""

    def __init__(self, store: DocumentStore, embedder: Embedder, *, mode: str, top_k: int, candidates: int,
                 rrf_k: int, time_windows: bool, window_weight: float, as_of: AsOfRule) -> None:
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever mode {mode!r} is not one of {RETRIEVERS}")
        self.store = store
        self.embedder = embedder
        self.mode = mode
        self.top_k = top_k
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.time_windows = time_windows
        self.window_weight = window_weight
        self.as_of_rule = as_of

    def retrieve(self, query: str, top_k: int | None = None, mode: str | None = None,
                 query_vector: np.ndarray | None = None, as_of: str | None = None,
                 window: TimeWindow | None = None,
                 prefer: TimeWindow | None | Literal["auto"] = "auto") -> list[Passage]:
        """The best ``top_k`` passages for ``query``, best first.

        ``window`` limits the search to articles published in it, inside both searches, so the
        k best of the window come back however large the archive (topped up from outside it
        only when the window holds fewer than k matches). Without one, a time expression in
        the query ("this week", "in March 2024"), resolved against ``as_of`` (an ISO date; today
        when None), makes its window a preference rather than a filter: quiz and chat questions
        say "this week" of events whose best reports are older background articles: ``prefer``
        is that window as `time_window` chose it ("auto": choose it here). ``as_of`` applies
        `AsOfRule` to the archive-wide ranking, and, when no window applies, prefers its recent
        days (`AsOfRule.current_window`) with the rule's weaker weight.
        """
        k = top_k or self.top_k
        mode = mode or self.mode
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever mode {mode!r} is not one of {RETRIEVERS}")
        day = as_of_day(as_of)
        hard = window is not None
        if window is None:
            window = self.time_window(query, as_of) if prefer == "auto" else prefer
        weight = self.window_weight
        if window is None and day is not None:
            # A question naming no time is mostly about the news of its day: the as-of rule's
            # recent days are preferred, more weakly than a window the question names.
            window, weight = self.as_of_rule.current_window(day), self.as_of_rule.current_weight
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        pool = max(self.candidates, k)
        span = window.iso() if window else None
        dense = self.store.dense_search(query_vector, pool, span) if mode != "keyword" else []
        keyword = self.store.keyword_search(query, pool, span) if mode != "dense" else []
        ranked = _fuse(dense, keyword, self.rrf_k) if mode == "hybrid" else (dense or keyword)
        if hard and len(ranked) < k:
            # A window with too few matching articles: the best of the rest follow its own.
            ranked += self._outside(query, query_vector, mode, pool, {c for c, _ in ranked}, ranked)
        elif not hard:
            everywhere = ranked
            if window is not None:
                dense_all = self.store.dense_search(query_vector, pool) if mode != "keyword" else []
                keyword_all = self.store.keyword_search(query, pool) if mode != "dense" else []
                everywhere = (_fuse(dense_all, keyword_all, self.rrf_k) if mode == "hybrid"
                              else (dense_all or keyword_all))
                dense = _union(dense, dense_all)
                keyword = _union(keyword, keyword_all)
            if day is not None:
                everywhere = self.as_of_rule.apply(everywhere, self.store.passages([c for c, _ in everywhere]), day)
            ranked = everywhere if window is None else _prefer(ranked, everywhere, weight, self.rrf_k)
        chosen = [chunk_id for chunk_id, _ in ranked[:k]]
        passages = self.store.passages(chosen)
        cosine = self._cosines(query_vector, chosen, dict(dense))
        keyword_rank: dict[int, int] = {}
        for rank, (chunk_id, _) in enumerate(keyword):
            keyword_rank.setdefault(chunk_id, rank)
        fused = dict(ranked)
        out = []
        for chunk_id in chosen:
            passage = passages.get(chunk_id)
            if passage is None:  # removed between the search and this read
                continue
            out.append(replace(passage, score=float(fused[chunk_id]), dense_score=cosine.get(chunk_id),
                               keyword_rank=keyword_rank.get(chunk_id)))
        return out

    def time_window(self, query: str, as_of: str | None = None) -> TimeWindow | None:
        """The window of publication dates `retrieve` prefers for ``query``: the one its time
        expression names, resolved against ``as_of`` (today when None); None when it names none, or
        when time windows are off (``time_windows``, or a ``window_weight`` of 0)."""
        if not self.time_windows or self.window_weight <= 0:
            return None
        return resolve_window(query, as_of_day(as_of) or date.today())

    def _outside(self, query: str, vector: np.ndarray, mode: str, pool: int, have: set[int],
                 inside: list[tuple[int, float]]) -> list[tuple[int, float]]:
        dense = self.store.dense_search(vector, pool) if mode != "keyword" else []
        keyword = self.store.keyword_search(query, pool) if mode != "dense" else []
        rest = _fuse(dense, keyword, self.rrf_k) if mode == "hybrid" else (dense or keyword)
        floor = min((score for _, score in inside), default=1.0)
        # Scaled under the window's last score, so fused scores still read best-first.
        top = max((score for _, score in rest), default=1.0) or 1.0
        return [(c, floor * 0.5 * score / top) for c, score in rest if c not in have]

    def unknown_words(self, words: Sequence[str]) -> list[str]:
        """The ``words`` no indexed chunk contains (see `SqliteStore.unknown_words`)."""
        return self.store.unknown_words(words)

    def _cosines(self, query: np.ndarray, chunk_ids: Sequence[int], known: dict[int, float]) -> dict[int, float]:
        out = dict(known)
        missing = [i for i in chunk_ids if i not in out]
        if missing:
            # A chunk not stored (yet, or any more) is left unscored.
            for chunk_id, vector in self.store.embeddings(missing).items():
                out[chunk_id] = float(np.dot(vector, query))
        return out


def _union(first: list[tuple[int, float]], second: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Both lists, ``first``'s entries first; a chunk in both keeps its place in ``first``."""
    have = {chunk_id for chunk_id, _ in first}
    return first + [(chunk_id, score) for chunk_id, score in second if chunk_id not in have]


def _prefer(inside: list[tuple[int, float]], everywhere: list[tuple[int, float]], weight: float,
            k: int) -> list[tuple[int, float]]:
    """The window's ranking and the archive's merged by weighted reciprocal rank.

    With ``k`` = 60 and 30 candidates, a weight of 1.5 or more puts every window article first
    (1.5 / 90 > 1 / 61): the hard filter. At 1, the window's best ties the archive's best.
    """
    scores: dict[int, float] = {}
    for w, ranking in ((weight, inside), (1.0, everywhere)):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def _fuse(dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in (dense, keyword):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)
