"""Ingesting large corpora: peak memory and chunks per second at 1x, 4x and 16x a real corpus.

    .venv/bin/python bench/scale.py [--times 1 4 16] [--embedder hash|real] [--corpus FILE.jsonl]
                                    [--limit N] [--ann-threshold N]

Each size runs `Ingestor.add` in a fresh child process on an empty data folder, with the articles
of ``--corpus`` (default: rtqa-dev, read in place) repeated ``--times`` times under new ids and a
marked title (same text: the copies are not skipped as duplicates, because the title is part of
the content hash). The repeated corpus is written to a temporary file outside the project and
deleted afterwards. The child samples its resident memory (/proc/self/statm) every 0.2 s and
reports:

- streaming peak: the highest RSS while documents are loaded, chunked, embedded and written (this
  is what must stay flat: nothing may hold all documents);
- final peak (getrusage ru_maxrss): including the end of the add, which builds the FAISS index of
  every vector and saves it. That part grows with the corpus by design: a searchable index holds
  every vector in memory (384 floats = 1.5 KB per chunk), exactly as each reader process does;
- chunks per second over the streaming phase and over the whole add.

``--embedder hash`` (the default) replaces the embedding model with a feature-hashing stand-in
of the same width (384), so that 16x (about half a million chunks) finishes in minutes on 2
cores; its figures measure everything but the model, and are labelled as such. ``--embedder
real`` uses all-MiniLM-L6-v2, at a smaller size (for example ``--times 0.25 1``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared/bench/rtqa-dev/corpus.jsonl"
PAGE = os.sysconf("SC_PAGE_SIZE")


class HashEmbedder384:
    """Feature hashing into 384 dimensions: the width of all-MiniLM-L6-v2, without the model."""

    name = "scale-bench-feature-hash-384"
    dim = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            buckets = [zlib.crc32(w.encode()) % self.dim for w in text.lower().split()]
            if buckets:
                np.add.at(out[row], buckets, 1.0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def check_against(self, sample) -> None:
        pass  # run in process: nothing to check


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def child_main(argv: Sequence[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--embedder", choices=("hash", "real"), required=True)
    ap.add_argument("--ann-threshold", type=int, required=True)
    ap.add_argument("path", type=Path)
    args = ap.parse_args(argv)
    from index.sqlite.store import SqliteStore
    from rag.chunking import Chunker
    from rag.embedding import SentenceTransformerEmbedder
    from rag.ingest import Ingestor
    from rag.settings import Settings
    from rag.wiring import limits

    defaults = Settings()
    if args.embedder == "real":
        embedder = SentenceTransformerEmbedder(defaults.embed_model, defaults.embed_batch_size)
        embedder.embed(["warm up"])  # load the model before the baseline is taken
    else:
        embedder = HashEmbedder384()
    store = SqliteStore(args.data / "newsrag.db", args.data / "vectors.faiss", embed_model=embedder.name,
                        dim=embedder.dim, ann_threshold=args.ann_threshold)
    ingestor = Ingestor(store, embedder, Chunker(defaults.chunk_size, defaults.chunk_overlap),
                        limits=limits(defaults))
    samples: list[tuple[float, float, int, int]] = []  # (seconds, rss MB, documents, chunks)
    progress = [0, 0]
    stop = threading.Event()
    t0 = time.perf_counter()
    save_started = [0.0]

    def sample() -> None:
        while not stop.wait(0.2):
            samples.append((time.perf_counter() - t0, rss_mb(), progress[0], progress[1]))

    def on_progress(docs: int, chunks: int) -> None:
        progress[0], progress[1] = docs, chunks

    real_save = store.save_vectors

    def timed_save() -> None:  # instrumentation: marks where streaming ends and the index build begins
        save_started[0] = time.perf_counter() - t0
        real_save()

    store.save_vectors = timed_save  # type: ignore[method-assign]
    baseline = rss_mb()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    report = ingestor.add([args.path], on_progress)
    total = time.perf_counter() - t0
    stop.set()
    thread.join()
    streaming = [s for s in samples if s[0] < save_started[0]] or samples
    halves = len(streaming) // 2
    index = store.vectors()
    print(json.dumps({
        "documents": report.documents, "chunks": report.chunks, "errors": len(report.errors),
        "baseline_mb": baseline,
        "streaming_peak_mb": max(s[1] for s in streaming),
        "streaming_peak_first_half_mb": max((s[1] for s in streaming[:halves]), default=0.0),
        "streaming_peak_second_half_mb": max((s[1] for s in streaming[halves:]), default=0.0),
        "final_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "streaming_s": save_started[0], "total_s": total,
        "index_layout": index.layout, "index_vectors": index.count,
        "db_mb": (args.data / "newsrag.db").stat().st_size / 1e6,
        "faiss_mb": (args.data / "vectors.faiss").stat().st_size / 1e6,
    }))


def repeated(corpus: Path, times: float, limit: int, out: Path) -> int:
    """Write ``times`` copies of the corpus (a fraction takes a prefix), one line at a time."""
    rows = 0
    lines_total = sum(1 for _ in corpus.open("rb")) if limit == 0 else limit
    wanted = int(round(times * lines_total))
    with out.open("w", encoding="utf-8") as f:
        copy = 0
        while rows < wanted:
            with corpus.open(encoding="utf-8") as src:
                for n, line in enumerate(src):
                    if (limit and n >= limit) or rows >= wanted:
                        break
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    if copy:
                        row["id"] = f"{row.get('id', n)}-copy{copy}"
                        row["title"] = f"{row.get('title') or ''} [copy {copy}]"
                    f.write(json.dumps(row) + "\n")
                    rows += 1
            copy += 1
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--times", type=float, nargs="+", default=[1, 4, 16])
    ap.add_argument("--embedder", choices=("hash", "real"), default="hash")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles as the 1x corpus")
    ap.add_argument("--ann-threshold", type=int, default=200_000, help="as in the settings (default 200000)")
    ap.add_argument("--keep", type=Path, help="move the data folder of the last size here (e.g. for bench/ann.py)")
    args = ap.parse_args()

    label = ("feature-hash stand-in embedder (384 dims), NOT the embedding model"
             if args.embedder == "hash" else "all-MiniLM-L6-v2 (the real embedder)")
    print(f"corpus {args.corpus}{f' (first {args.limit} articles)' if args.limit else ''}; embedder: {label}; "
          f"ann_threshold {args.ann_threshold}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"{'size':>5} {'docs':>7} {'chunks':>8} {'base MB':>8} {'stream peak MB':>15} {'(1st/2nd half)':>15} "
          f"{'final peak MB':>14} {'chunks/s stream':>16} {'chunks/s all':>13} {'index':>6} {'db MB':>7} {'faiss MB':>9}")
    for times in args.times:
        with tempfile.TemporaryDirectory(prefix="newsrag-scale-") as tmp:
            work = Path(tmp)
            source = work / "corpus.jsonl"
            repeated(args.corpus, times, args.limit, source)
            proc = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", "--data", str(work / "data"),
                 "--embedder", args.embedder, "--ann-threshold", str(args.ann_threshold), str(source)],
                capture_output=True, text=True, cwd=ROOT,
            )
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                sys.exit(1)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if args.keep and times == args.times[-1]:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.move(str(work / "data"), str(args.keep))
        print(f"{times:>4g}x {r['documents']:>7} {r['chunks']:>8} {r['baseline_mb']:>8.0f} {r['streaming_peak_mb']:>15.0f} "
              f"{r['streaming_peak_first_half_mb']:>7.0f}/{r['streaming_peak_second_half_mb']:<7.0f} "
              f"{r['final_peak_mb']:>14.0f} {r['chunks'] / r['streaming_s']:>16.0f} {r['chunks'] / r['total_s']:>13.0f} "
              f"{r['index_layout']:>6} {r['db_mb']:>7.0f} {r['faiss_mb']:>9.0f}", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared: timings vary with it)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        main()
