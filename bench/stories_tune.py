"""Tune story assignment on one half of a story set's weeks, then confirm on the other.

    .venv/bin/python bench/stories_tune.py BENCH_DIR --out DIR [--data DATA_DIR] [--tune 2022] [--confirm 2023]

Reads BENCH_DIR/corpus.jsonl only (the scorer reads its labels), embeds each article's title and
lead once (cached in DIR/article_vectors.npz), takes each article's chunk vectors from DATA_DIR (a
data directory bench/stories.py has indexed the set into; without it, the parameters that use
chunks are left out), runs rag.stories.assign's online assignment in date
order over a grid of parameters (an in-memory StoryStore, so no re-embedding), scores each on the
tuning year and prints the best few, then the best one on the confirming year and the whole set.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import story_scoring  # noqa: E402
from index.records import Document  # noqa: E402
from index.stories import StoryArticle  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stories.assign import StoryAssigner, StoryParams  # noqa: E402
from rag.stories.brief import brief  # noqa: E402
from rag.wiring import make_embedder, open_store  # noqa: E402


class MemoryStories:
    """Just what `StoryAssigner.place` needs of a StoryStore, in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, StoryArticle] = {}

    def within(self, window):
        return [a for a in self.rows.values() if window[0] <= a.day < window[1]]

    def put(self, articles):
        for a in articles:
            self.rows[a.doc_id] = a

    def story_ids(self, window=None):
        latest: dict[str, str] = {}
        for a in self.rows.values():
            if window is None or window[0] <= a.day < window[1]:
                latest[a.story_id] = max(latest.get(a.story_id, ""), a.day)
        return sorted(latest, key=lambda i: (latest[i], i), reverse=True)

    def articles_of(self, ids):
        out: dict[str, list] = {}
        wanted = set(ids)
        for a in sorted(self.rows.values(), key=lambda a: (a.day, a.doc_id)):
            if a.story_id in wanted:
                out.setdefault(a.story_id, []).append(a)
        return out


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
    ap.add_argument("--data", type=Path, help="a data directory holding the set's chunk vectors")
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
    del probe
    chunk_means = None
    if args.data:
        settings = load_settings({}, data_dir=args.data, index_corpus_on_first_run=False)
        store = open_store(settings, make_embedder(settings))
        chunk_means = {p.document.id: p.embeddings.mean(axis=0, keepdims=True)
                       for start in range(0, len(docs), 200)
                       for p in store.read_prepared([d.id for d in docs[start:start + 200]])}
        store.close()
    made: dict = {}

    def clusters(params: StoryParams, path: Path) -> None:
        mem = MemoryStories()
        key = (params.names_chars, params.chunks)
        if key not in made:
            chunks = [chunk_means.get(d.id) for d in docs] if params.chunks else None
            made[key] = StoryAssigner(MemoryStories(), embedder, params).articles(docs, chunk_vectors=chunks)
        StoryAssigner(mem, embedder, params).place(made[key])
        path.write_text("".join(json.dumps({"doc_id": a.doc_id, "story_id": a.story_id}) + "\n"
                                for a in mem.rows.values()))

    results = []
    # The grid last searched (the 2022 weeks); the earlier one, without chunks and with names
    # counted flat, found 3 days, 0.5, 0.03 a name (2022 F1 0.855).
    grid = itertools.product([3], [0.6, 0.65, 0.7], [0.01, 0.02, 0.04], [0.2], [1000, 3000],
                             [args.data is not None], [True])
    for horizon, threshold, weight, cap, chars, chunks, rarity in grid:
        params = StoryParams(horizon_days=horizon, threshold=threshold, names_weight=weight, names_cap=cap,
                             names_chars=chars, chunks=chunks, names_rarity=rarity)
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
    mem = MemoryStories()
    StoryAssigner(mem, embedder, best).place(made[(best.names_chars, best.chunks)])
    weeks = [json.loads(line) for line in open(args.bench / "weeks.jsonl", encoding="utf-8")]
    for facts in (0, 2, 3, 4, 6):
        rows = []
        for w in weeks:
            window = (w["from"], (date.fromisoformat(w["to"]) + timedelta(days=1)).isoformat())
            b = brief(mem, window, max_words=400, facts=facts)
            rows.append({"week": w["week"], "text": b.text, "citations": b.cited})
        path = args.out / "tune-briefs.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        for year in (args.tune, args.confirm):
            for n in (100, 400):
                s = story_scoring.half("briefs", args.bench, path, year, n)
                print(f"briefs, {facts} facts a story, {year} @{n}: recall {s['recall']} cited {s['cited_recall']}")


if __name__ == "__main__":
    main()
