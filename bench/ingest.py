"""Ingestion throughput against the model-bound limit, and the cost of re-adding.

    .venv/bin/python bench/ingest.py [CORPUS.jsonl] [--limit N] [--slice 40]

Side by side in one run: (a) a plain loop of SentenceTransformer.encode over the chunks newsrag
makes, and (b) `Ingestor.add` of the same articles (load, chunk, embed, SQLite, FTS5, FAISS), into
a fresh data directory. The two alternate slice by slice so both see the same machine load. Then
the unchanged corpus is added again and timed as a share of the first add.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.records import Document  # noqa: E402
from rag.chunking import Chunker  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared/bench/rtqa-small/corpus.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles")
    ap.add_argument("--slice", type=int, default=40, help="articles per alternation step")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="newsrag-bench-"))
    settings = load_settings({}, data_dir=work / "data", index_corpus_on_first_run=False)
    app = build(settings)
    docs = [d for d in app.ingestor.load([args.corpus]) if isinstance(d, Document)]
    if args.limit:
        docs = docs[: args.limit]
    chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
    model = app.embedder._load()  # the same SentenceTransformer instance, already warm
    model.encode(["warm up"] * 8)

    plain_s = ours_s = 0.0
    chunks_total = 0
    for start in range(0, len(docs), args.slice):
        part = docs[start : start + args.slice]
        texts = [c.text for d in part for c in chunker.split(d)]
        chunks_total += len(texts)
        t = time.perf_counter()
        for i in range(0, len(texts), settings.embed_batch_size):  # the plain loop
            model.encode(texts[i : i + settings.embed_batch_size], batch_size=settings.embed_batch_size,
                         normalize_embeddings=True)
        plain_s += time.perf_counter() - t
        path = work / f"part-{start}.jsonl"
        path.write_text("\n".join(json.dumps({"id": d.id, "title": d.title, "url": d.url,
                                              "published": d.published, "text": d.text}) for d in part))
        t = time.perf_counter()
        report = app.ingestor.add([path])
        ours_s += time.perf_counter() - t
        assert not report.errors, report.errors[:3]
        print(f"  {start + len(part)}/{len(docs)} articles, {chunks_total} chunks", file=sys.stderr)

    paths = sorted(work.glob("part-*.jsonl"))
    t = time.perf_counter()
    again = app.ingestor.add(paths)
    readd_s = time.perf_counter() - t
    assert again.chunks == 0 and len(again.unchanged) == len(docs)

    chars = sum(len(d.text) for d in docs)
    print(f"corpus: {args.corpus} ({len(docs)} articles, {chars / 1e6:.1f} M chars, {chunks_total} chunks "
          f"of <= {settings.chunk_size} chars)")
    print(f"plain SentenceTransformer.encode loop: {plain_s:8.1f} s  {chunks_total / plain_s:6.1f} chunks/s")
    print(f"newsrag add (load+chunk+embed+store):  {ours_s:8.1f} s  {chunks_total / ours_s:6.1f} chunks/s")
    print(f"ratio newsrag / plain loop:            {plain_s / ours_s:8.3f}  (target >= 0.9)")
    print(f"re-adding the unchanged corpus:        {readd_s:8.2f} s  = {readd_s / ours_s:.2%} of the first add (target <= 5%)")


if __name__ == "__main__":
    main()
