"""Tune story assignment on one half of a story set's weeks, then confirm on the other.

    .venv/bin/python bench/stories_tune.py BENCH_DIR --out DIR [--tune 2022] [--confirm 2023]

Reads BENCH_DIR/corpus.jsonl only (the scorer reads its labels), embeds each article's title and
lead once (cached in DIR/article_vectors.npz), runs rag.stories.assign's online assignment in date
order over a grid of parameters (an in-memory StoryStore, so no re-embedding), scores each on the
tuning year and prints the best few, then the best one on the confirming year and the whole set.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import story_scoring  # noqa: E402
from index.records import Document  # noqa: E402
from index.stories import StoryArticle  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stories.assign import StoryAssigner, StoryParams  # noqa: E402
from rag.wiring import make_embedder  # noqa: E402


class MemoryStories:
    """Just what `StoryAssigner.place` needs of a StoryStore, in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, StoryArticle] = {}

    def within(self, window):
        return [a for a in self.rows.values() if window[0] <= a.day < window[1]]

    def put(self, articles):
        for a in articles:
            self.rows[a.doc_id] = a


class CachedEmbedder:
    def __init__(self, vectors: dict[str, np.ndarray], texts_to_ids: dict[str, str]) -> None:
        self.vectors, self.ids = vectors, texts_to_ids

    def embed(self, texts):
        return np.vstack([self.vectors[self.ids[t]] for t in texts])


def load_docs(bench: Path) -> list[Document]:
    docs = []
    with open(bench / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(Document(r["id"], r.get("title") or "", r["text"], url=r.get("url"),
                                 published=r.get("published")))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--tune", default="2022")
    ap.add_argument("--confirm", default="2023")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    docs = load_docs(args.bench)
    cache = args.out / "article_vectors.npz"
    probe = StoryAssigner(MemoryStories(), None)
    if cache.exists():
        vectors = dict(np.load(cache))
    else:
        embedder = make_embedder(load_settings({}))
        arts = StoryAssigner(MemoryStories(), embedder).articles(docs)
        vectors = {a.doc_id: a.vector for a in arts}
        np.savez(cache, **vectors)
    from rag.stories.assign import lead_of
    texts = {f"{d.title}. {lead_of(d.text)}": d.id for d in docs}
    embedder = CachedEmbedder(vectors, texts)
    articles = StoryAssigner(MemoryStories(), embedder).articles(docs)
    del probe

    def clusters(params: StoryParams, path: Path) -> None:
        mem = MemoryStories()
        StoryAssigner(mem, embedder, params).place(articles)
        path.write_text("".join(json.dumps({"doc_id": a.doc_id, "story_id": a.story_id}) + "\n"
                                for a in mem.rows.values()))

    results = []
    grid = itertools.product([3, 5, 7], [0.45, 0.5, 0.55, 0.6, 0.65], [0.0, 0.03, 0.05], [0.1, 0.2])
    for horizon, threshold, weight, cap in grid:
        if weight == 0.0 and cap != 0.1:
            continue
        params = StoryParams(horizon, threshold, weight, cap if weight else 0.0)
        path = args.out / "tune-clusters.jsonl"
        clusters(params, path)
        s = story_scoring.half("clusters", args.bench, path, args.tune)
        results.append((s["bcubed_f1"], params, s))
    results.sort(key=lambda r: -r[0])
    for f1, params, s in results[:8]:
        print(f"{args.tune}: F1 {f1} P {s['bcubed_precision']} R {s['bcubed_recall']}  {params}")
    best = results[0][1]
    path = args.out / "tune-clusters.jsonl"
    clusters(best, path)
    print(f"best on {args.tune}: {best}")
    for year in (args.tune, args.confirm):
        print(year, story_scoring.half("clusters", args.bench, path, year))
    print("whole", story_scoring.run("clusters", args.bench, path))


if __name__ == "__main__":
    main()
