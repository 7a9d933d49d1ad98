"""Find the passages most likely to answer a question: dense, keyword, or both fused.

Dense search is FAISS cosine similarity over chunk embeddings; keyword search is SQLite FTS5
BM25. Hybrid mode fuses the two candidate lists with reciprocal rank fusion. Every returned
passage carries its cosine similarity to the question, whichever list found it, so later steps
can judge how strong the evidence is on one scale. Not here: choosing sentences for the prompt.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from index.store import Store
from rag.embedding import Embedder
from rag.records import Passage
from rag.settings import RETRIEVERS


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
                 query_vector: np.ndarray | None = None) -> list[Passage]:
        """The best ``top_k`` passages for ``query``, best first."""
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


def _fuse(dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in (dense, keyword):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)
