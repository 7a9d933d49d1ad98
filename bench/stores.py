"""The two store backends side by side: SQLite + FAISS against PostgreSQL + pgvector.

    .venv/bin/python bench/stores.py retrieval QUESTIONS.jsonl --corpus CORPUS.jsonl [--pg-dir DIR]
    .venv/bin/python bench/stores.py synthetic --n 100000 [--pg-dir DIR]
    .venv/bin/python bench/stores.py ingest CORPUS.jsonl [--limit 40]

``retrieval`` uses the eval index `newsrag eval --corpus` builds (NEWSRAG_DATA_DIR), copies it
into PostgreSQL with `migrate` (timed; skipped where already copied), then per question runs
hybrid, dense and keyword retrieval on both stores in turn (query embedding excluded: vectors
are computed first), and prints p50/p95, text_recall@5 and the load average beside each row.
Then recall@10 of the HNSW index against exact search, and the resident memory of a fresh
process that opens each store and answers every question's retrieval.

``synthetic`` writes N clustered synthetic vectors (bench/ann.py's calibrated mixture) into
PostgreSQL, builds the HNSW index, and measures dense search, recall@10 and memory.

``ingest`` times a plain `add` and `add --ray` with 1 and 2 local workers on the same articles
(each into a fresh data folder), and the raw encode loop of the model, as chunks/s.

The PostgreSQL server is pgserver's (a Unix socket in --pg-dir), started here.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def eval_app(corpus: Path):
    """The app over `newsrag eval --corpus CORPUS`'s built index (settings from NEWSRAG_*), or exit
    saying how to build it."""
    from rag.eval.benchmark import eval_index_dir
    from rag.settings import load_settings
    from rag.wiring import build

    base = load_settings(os.environ)
    app = build(base.replace(data_dir=eval_index_dir(base, corpus), index_corpus_on_first_run=False))
    if app.store.counts()[1] == 0:
        raise SystemExit(f"no eval index for {corpus}: run `newsrag eval --corpus` or bench/stores.py first")
    return app


def server_url(pg_dir: Path, database: str) -> tuple[object, str]:
    import pgserver
    import psycopg

    pg_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pg_dir, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    return server, server.get_uri(database)


class NameOnly:
    """An embedder that only names the model: for opening stores without loading it."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def dim(self) -> int:
        raise RuntimeError("the benchmark never embeds in this process")


def hnsw_recall(store, queries: np.ndarray, efs=(40, 100, 200)) -> None:
    """Exact top-10 (index scans off) against the HNSW scan at several ``ef_search``."""
    with store.connection() as conn:  # held, so dense_search runs on it with its settings
        exact, exact_t = [], []
        for q in queries:
            t = time.perf_counter()
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")
                exact.append({i for i, _ in store.dense_search(q, 10)})
            exact_t.append(time.perf_counter() - t)
        print(f"{'ef_search':>10}{'recall@10':>11}{'p50 ms':>9}{'p95 ms':>9}   load {load()}")
        print(f"{'exact':>10}{1.0:11.3f}{pct(exact_t, 50):9.1f}{pct(exact_t, 95):9.1f}")
        for ef in efs:
            conn.execute(f"SET hnsw.ef_search = {ef}")
            found, ts = 0, []
            for q, want in zip(queries, exact):
                t = time.perf_counter()
                got = {i for i, _ in store.dense_search(q, 10)}
                ts.append(time.perf_counter() - t)
                found += len(got & want)
            print(f"{ef:>10}{found / (10 * len(queries)):11.3f}{pct(ts, 50):9.1f}{pct(ts, 95):9.1f}   load {load()}")
        conn.execute(f"SET hnsw.ef_search = {store.ef_search}")


# -- retrieval at rtqa-dev scale -----------------------------------------------------------

def retrieval(args) -> None:
    from index.migrate import copy_store
    from rag.eval.benchmark import eval_index_dir, index_corpus
    from rag.eval.questions import load_questions
    from rag.settings import load_settings
    from rag.wiring import build, open_store

    base = load_settings(os.environ)
    settings = base.replace(data_dir=eval_index_dir(base, args.corpus), index_corpus_on_first_run=False)
    app = build(settings)
    index_corpus(app, args.corpus, progress=True)
    questions = [q for q in load_questions(args.questions) if q.has_answer][: args.limit]
    vectors = app.embedder.embed([q.question for q in questions])
    _, url = server_url(args.pg_dir, "rtqa")
    pg = open_store(settings.replace(store=url), app.embedder)
    print(f"load {load()}: migrate {app.store.describe()} -> PostgreSQL")
    report = copy_store(app.store, pg, batch_docs=64)
    print(f"  copied {report.copied} documents ({report.chunks} chunks), {report.skipped} already there, "
          f"{report.seconds:.1f} s ({report.chunks / max(report.seconds, 1e-9):.0f} chunks/s); load {load()}")
    docs, chunks = app.store.counts()
    print(f"{len(questions)} questions, {docs} documents, {chunks} chunks")

    stores = {"sqlite+faiss": app.store, "postgres": pg}
    side_by_side(stores, questions, vectors, app.embedder, settings.candidates)
    print(f"\nHNSW recall@10 against exact search (PostgreSQL), load {load()}")
    hnsw_recall(pg, vectors)
    memory({"sqlite+faiss": {"data_dir": str(settings.data_dir)},
            "postgres": {"data_dir": str(settings.data_dir), "store": url}},
           args.questions, vectors, app.embedder.name)


def side_by_side(stores: dict, questions, vectors, embedder, candidates: int) -> None:
    """Each question's hybrid, dense and keyword retrieval on every store in turn: p50, p95,
    text_recall@5, and how often the top-5 lists equal the first store's."""
    from rag.eval.judge import contains_gold
    from rag.settings import RETRIEVERS, Settings
    from rag.wiring import make_retriever

    settings = Settings().replace(top_k=5, candidates=candidates)
    retrievers = {name: make_retriever(s, embedder, settings) for name, s in stores.items()}
    for r in retrievers.values():  # warm: FAISS loads its file, PostgreSQL its pages
        for q, v in zip(questions[:5], vectors[:5]):
            for mode in RETRIEVERS:
                r.retrieve(q.question, mode=mode, query_vector=v)
    first = next(iter(stores))
    times = {(n, m): [] for n in stores for m in RETRIEVERS}
    hits = {(n, m): 0 for n in stores for m in RETRIEVERS}
    same = {(n, m): 0 for n in stores for m in RETRIEVERS}
    loads = []
    for q, v in zip(questions, vectors):
        for mode in RETRIEVERS:
            got = {}
            for name, r in retrievers.items():
                t = time.perf_counter()
                passages = r.retrieve(q.question, mode=mode, query_vector=v)
                times[name, mode].append(time.perf_counter() - t)
                hits[name, mode] += any(contains_gold(p.text, q.answers) for p in passages)
                got[name] = [(p.doc_id, p.start) for p in passages]
                same[name, mode] += got[name] == got[first]
        loads.append(os.getloadavg()[0])
    print(f"load average during the run: {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'mode':8}{'store':>14}{'p50 ms':>9}{'p95 ms':>9}{'text_recall@5':>15}{'same top-5':>12}")
    for mode in RETRIEVERS:
        for name in stores:
            t = times[name, mode]
            print(f"{mode:8}{name:>14}{pct(t, 50):9.1f}{pct(t, 95):9.1f}{hits[name, mode] / len(questions):15.3f}"
                  f"{same[name, mode] / len(questions):12.2f}")


def memory(specs: dict, questions_path: Path, vectors: np.ndarray, model: str) -> None:
    """The resident memory of a fresh process per store that opens it and runs every retrieval."""
    qfile = Path(tempfile.mkdtemp()) / "q.npy"
    np.save(qfile, vectors)
    print(f"\nresident memory of a process that opens the store and runs {len(vectors)} x 3 retrievals")
    for name, spec in specs.items():
        out = subprocess.run([sys.executable, __file__, "rss-child", json.dumps(spec), str(questions_path),
                              str(qfile), str(len(vectors)), model],
                             capture_output=True, text=True, check=True).stdout
        print(f"  {name:14} {out.strip()}  (load {load()})")


def rss_child(args) -> None:
    """Open a store, run every retrieval, print the memory this process holds."""
    from rag.eval.questions import load_questions
    from rag.settings import RETRIEVERS, load_settings
    from rag.wiring import make_retriever, open_store

    before, _ = rss_mb()
    t = time.perf_counter()
    settings = load_settings({}, **json.loads(args.spec))
    store = open_store(settings, NameOnly(args.model))
    questions = [q for q in load_questions(args.questions) if q.has_answer][: args.limit]
    vectors = np.load(args.vectors)
    retriever = make_retriever(store, NameOnly(args.model), settings.replace(top_k=5))
    retriever.retrieve(questions[0].question, query_vector=vectors[0])
    first = time.perf_counter() - t
    for q, v in zip(questions, vectors):
        for mode in RETRIEVERS:
            retriever.retrieve(q.question, mode=mode, query_vector=v)
    rss, peak = rss_mb()
    print(f"RSS {rss:.0f} MB, peak {peak:.0f} MB (interpreter and imports {before:.0f} MB); "
          f"first retrieval {first:.2f} s after start")


# -- synthetic vectors in PostgreSQL --------------------------------------------------------

def synthetic(args) -> None:
    from bench.ann import DIM, Mixture
    from index.postgres import PostgresStore, schema

    _, url = server_url(args.pg_dir, f"synthetic_{args.n}")
    store = PostgresStore(url, embed_model="synthetic")
    with store.connection() as conn:
        have = store.counts()[1]
        mix = Mixture(max(200, args.n // 50), seed=1)
        print(f"load {load()}: {args.n} synthetic vectors ({have} already stored)")
        if have < args.n:
            if store.dim is None:
                with conn.transaction():
                    schema.set_width(conn, DIM)
            conn.execute(f"DROP INDEX IF EXISTS {schema.HNSW_INDEX}")  # built once, after the load
            t = time.perf_counter()
            batch = 20_000
            for start in range(have, args.n, batch):
                count = min(batch, args.n - start)
                x = mix.draw(count, seed=start + 1)
                with conn.transaction():
                    conn.execute("INSERT INTO documents VALUES (%s, 'synthetic', '', NULL, NULL, '', %s, 'now')",
                                 (f"s{start}", f"h{start}"))
                    with conn.cursor() as cur, cur.copy(
                            'COPY chunks (doc_id, seq, start, "end", text, text_hash, embedding) FROM STDIN '
                            "WITH (FORMAT BINARY)") as copy:
                        copy.set_types(["text", "int4", "int4", "int4", "text", "text", "vector"])
                        for i in range(count):
                            copy.write_row((f"s{start}", i, 0, 0, f"w{(start + i) % 997}", "", x[i]))
            print(f"  loaded in {time.perf_counter() - t:.0f} s; load {load()}")
        if not conn.execute("SELECT to_regclass(%s)", (schema.HNSW_INDEX,)).fetchone()[0]:
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            t = time.perf_counter()
            conn.execute(schema.HNSW_DDL)
            print(f"  HNSW index built in {time.perf_counter() - t:.0f} s (m 16, ef_construction 64); load {load()}")
        queries = mix.draw(args.queries, seed=99, query=True)
        hnsw_recall(store, queries)
        size = conn.execute("SELECT pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_total_relation_size('chunks'))",
                            (schema.HNSW_INDEX,)).fetchone()
        print(f"  HNSW index {size[0]} on the server's disk; chunks table with indexes {size[1]}")


# -- ingestion: plain against Ray ------------------------------------------------------------

def ingest(args) -> None:
    from rag.chunking import Chunker
    from rag.ray_embed import RayEmbedStream
    from index.records import Document
    from rag.settings import load_settings
    from rag.wiring import build

    work = Path(tempfile.mkdtemp(prefix="newsrag-ingest-"))
    rows = [json.loads(line) for line in args.corpus.read_text().splitlines()[: args.limit]]
    corpus = work / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} articles from {args.corpus}")
    results = []
    for label, workers in (("plain add", 0), ("add --ray, 1 worker", 1), ("add --ray, 2 workers", 2)):
        app = build(load_settings({}, data_dir=work / f"d{workers}", index_corpus_on_first_run=False))
        ingestor = app.ingestor
        if workers:
            ingestor = ingestor.embedding_with(RayEmbedStream(app.settings.embed_model, workers=workers))
        else:
            app.embedder.embed(["warm up"])  # the Ray actors' model loading is counted; this one's is not
        t = time.perf_counter()
        report = ingestor.add([corpus])
        seconds = time.perf_counter() - t
        results.append((label, report.chunks, seconds, load()))
        print(f"  {label:22} {report.chunks} chunks in {seconds:6.1f} s = {report.chunks / seconds:5.1f} chunks/s"
              f"  (load {load()})", flush=True)
    chunker = Chunker(800, 120)
    texts = [c.text for item in app.ingestor.load([corpus]) if isinstance(item, Document)
             for c in chunker.split(item)]
    t = time.perf_counter()
    for start in range(0, len(texts), 64):
        app.embedder.embed(texts[start : start + 64])
    seconds = time.perf_counter() - t
    print(f"  {'raw encode loop':22} {len(texts)} chunks in {seconds:6.1f} s = {len(texts) / seconds:5.1f} chunks/s"
          f"  (load {load()})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("retrieval")
    r.add_argument("questions", type=Path)
    r.add_argument("--corpus", type=Path, required=True)
    r.add_argument("--limit", type=int, default=200)
    r.add_argument("--pg-dir", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-bench-pg")
    s = sub.add_parser("synthetic")
    s.add_argument("--n", type=int, default=100_000)
    s.add_argument("--queries", type=int, default=200)
    s.add_argument("--pg-dir", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-bench-pg")
    i = sub.add_parser("ingest")
    i.add_argument("corpus", type=Path)
    i.add_argument("--limit", type=int, default=40)
    c = sub.add_parser("rss-child")
    c.add_argument("spec")
    c.add_argument("questions", type=Path)
    c.add_argument("vectors", type=Path)
    c.add_argument("limit", type=int)
    c.add_argument("model")
    args = ap.parse_args()
    {"retrieval": retrieval, "synthetic": synthetic, "ingest": ingest, "rss-child": rss_child}[args.cmd](args)


if __name__ == "__main__":
    main()
