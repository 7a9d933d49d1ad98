"""Find the passages most likely to answer a question: dense, keyword, or both fused.

Dense search is FAISS cosine similarity over chunk embeddings; keyword search is SQLite FTS5
BM25. Hybrid mode fuses the two candidate lists with reciprocal rank fusion. Every returned
passage carries its cosine similarity to the question, whichever list found it, so later steps
can judge how strong the evidence is on one scale. Not here: choosing sentences for the prompt.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Sequence

import numpy as np

from index.records import Passage
from index.store import Store
from rag.embedding import Embedder
from rag.settings import RETRIEVERS

# News asked "as of" a day may cite reports dated a few days later (updates, time zones).
AS_OF_GRACE_DAYS = 7
AGE_HALF_DAYS = 60


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, *, mode: str = "hybrid", top_k: int = 5,
                 candidates: int = 30, rrf_k: int = 60) -> None:
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever mode {mode!r} is not one of {RETRIEVERS}")
        self.store = store
        self.embedder = embedder
        self.mode = mode
        self.top_k = top_k
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, query: str, top_k: int | None = None, mode: str | None = None,
                 query_vector: np.ndarray | None = None, as_of: str | None = None) -> list[Passage]:
        """The best ``top_k`` passages for ``query``, best first.

        ``as_of`` (an ISO date) asks about the news as of that day: articles published more than
        a week later are left out, and older ones rank a little lower the older they are.
        """
        k = top_k or self.top_k
        mode = mode or self.mode
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever mode {mode!r} is not one of {RETRIEVERS}")
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        pool = max(self.candidates, k)
        dense = self.store.dense_search(query_vector, pool) if mode != "keyword" else []
        keyword = self.store.keyword_search(query, pool) if mode != "dense" else []
        ranked = _fuse(dense, keyword, self.rrf_k) if mode == "hybrid" else (dense or keyword)
        if as_of:
            pool_passages = self.store.passages([chunk_id for chunk_id, _ in ranked])
            ranked = _by_date(ranked, pool_passages, as_of)
        chosen = [chunk_id for chunk_id, _ in ranked[:k]]
        passages = self.store.passages(chosen)
        cosine = self._cosines(query_vector, chosen, dict(dense))
        keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(keyword)}
        fused = dict(ranked)
        out = []
        for chunk_id in chosen:
            passage = passages.get(chunk_id)
            if passage is None:  # removed between the search and this read
                continue
            out.append(replace(passage, score=float(fused[chunk_id]), dense_score=cosine.get(chunk_id),
                               keyword_rank=keyword_rank.get(chunk_id)))
        return out

    def unknown_words(self, words: Sequence[str]) -> list[str]:
        """The ``words`` no indexed chunk contains (see `Store.unknown_words`)."""
        return self.store.unknown_words(words)

    def _cosines(self, query: np.ndarray, chunk_ids: Sequence[int], known: dict[int, float]) -> dict[int, float]:
        out = dict(known)
        missing = [i for i in chunk_ids if i not in out]
        if missing:
            index = self.store.vectors().index
            for chunk_id in missing:
                try:
                    out[chunk_id] = float(np.dot(index.reconstruct(int(chunk_id)), query))
                except RuntimeError:  # not in the index (yet): leave unscored
                    pass
        return out


def _by_date(ranked: list[tuple[int, float]], passages: dict[int, Passage], as_of: str) -> list[tuple[int, float]]:
    """Drop articles from after ``as_of`` (plus a week's grace) and discount older ones gently."""
    try:
        day = date.fromisoformat(as_of[:10])
    except ValueError:
        raise ValueError(f"as_of must be an ISO date (YYYY-MM-DD), got {as_of!r}") from None
    out = []
    for rank, (chunk_id, score) in enumerate(ranked):
        passage = passages.get(chunk_id)
        published = _parse_day(passage.published) if passage else None
        if published is None:
            out.append((chunk_id, score, rank))
            continue
        age = (day - published).days
        if age < -AS_OF_GRACE_DAYS:
            continue
        # Positive scores only (RRF and cosine are); halve a score for every ~2 months of age.
        out.append((chunk_id, score / (1.0 + max(age, 0) / AGE_HALF_DAYS), rank))
    out.sort(key=lambda item: (-item[1], item[2]))
    return [(chunk_id, score) for chunk_id, score, _ in out]


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _fuse(dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in (dense, keyword):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)
