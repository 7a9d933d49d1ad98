"""Both stores at about a million chunks: hybrid, dense and keyword retrieval, HNSW recall, memory.

    NEWSRAG_DATA_DIR=... .venv/bin/python bench/million.py QUESTIONS.jsonl --corpus CORPUS.jsonl
        [--copies 28] [--work DIR] [--pg-dir DIR] [--limit 300] [--exact 30] [--memory-questions 30]

Builds a store of ``copies`` x the rtqa-dev eval index (which `newsrag eval --corpus` builds):
every article under ``copies`` new ids, with its chunks' real text and real embeddings, each
copy's vectors moved by a little Gaussian noise (cosine about 0.9 to the original), so that the
copies are near neighbours rather than identical points, as several reports of one story are.
It is written into SQLite + FAISS through `SqliteStore.write`, as `add` writes (past `ann_threshold`
the FAISS side becomes the IVF index), and into PostgreSQL by COPY with the keyword, day and
HNSW indexes built afterwards, as a bulk load is done (each step timed). Both are kept in
``--work`` and ``--pg-dir`` and reused by a rerun. Then the real questions, with their real
query vectors (query embedding excluded), run hybrid, dense and keyword retrieval on both stores
in turn: p50 and p95, text_recall@5; hybrid again as of each question's date and with time
windows off; HNSW recall@10 against exact search on ``--exact`` queries;
the resident memory of a fresh process that opens each store and runs every retrieval.

Left out: ingestion speed (bench/stores.py ingest) and answers. The copies make recall figures
differ from a real archive of this size (a question's best chunk comes back with its near
copies); the latencies and memory are what the size costs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.stores import eval_app, hnsw_recall, load, memory, pct, server_url, side_by_side  # noqa: E402
from index.records import day_of  # noqa: E402  (the stores' one publication-day rule)

NOISE = 0.02  # per dimension: a unit vector plus N(0, 0.02^2) in 384 dimensions is ~0.9 cosine to it
BATCH_DOCS = 64


def build_sqlite(src, folder: Path, copies: int):
    """The SQLite + FAISS store of ``copies`` copies of ``src`` (resumed where a run stopped)."""
    from index.records import PreparedDocument
    from index.sqlite.store import SqliteStore

    store = SqliteStore(folder / "newsrag.db", folder / "vectors.faiss", embed_model=src.embed_model,
                        ann_threshold=200_000)
    ids = [d.id for d in src.documents()]
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    written = 0
    for copy in range(copies):
        for start in range(0, len(ids), BATCH_DOCS):
            part = ids[start:start + BATCH_DOCS]
            if store.content_hash(f"{part[-1]}~{copy}") is not None:
                continue  # written by an earlier run
            out = []
            for p in src.read_prepared(part):
                new = f"{p.document.id}~{copy}"
                vectors = p.embeddings
                if copy:
                    vectors = vectors + rng.normal(0.0, NOISE, vectors.shape).astype(np.float32)
                    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                out.append(PreparedDocument(replace(p.document, id=new), f"{p.content_hash}~{copy}",
                                            tuple(replace(c, doc_id=new) for c in p.chunks), vectors,
                                            p.text_hashes, p.added_at))
                written += len(p.chunks)
            store.write(out)
    if written:
        took = time.perf_counter() - t
        print(f"  SQLite: wrote {written} chunks in {took:.0f} s ({written / took:.0f} chunks/s); load {load()}")
    t = time.perf_counter()
    store.save_vectors()
    kind = "IVF" if store.vectors().count > store.ann_threshold else "exact"
    print(f"  FAISS index ({kind}, {store.vectors().count} vectors) caught up and saved in "
          f"{time.perf_counter() - t:.0f} s; load {load()}")
    return store


def build_postgres(lite, url: str):
    """The same documents and chunks in PostgreSQL by COPY, then its indexes."""
    from index.postgres import PostgresStore, schema

    pg = PostgresStore(url, embed_model=lite.embed_model)
    with pg.connection() as conn:
        want = lite.counts()
        if pg.counts() != want:
            with conn.transaction():
                if pg.dim is None:
                    schema.set_width(conn, lite.dim)
                conn.execute("TRUNCATE documents CASCADE")
                for name in (schema.HNSW_INDEX, "chunks_tsv", "chunks_words", "chunks_by_day", "chunks_by_doc"):
                    conn.execute(f"DROP INDEX IF EXISTS {name}")
            t = time.perf_counter()
            src = lite.conn
            with conn.transaction():
                with conn.cursor() as cur, cur.copy(
                        "COPY documents (id, title, source, url, published, text, content_hash, added_at, author, site) "
                        "FROM STDIN") as copy:
                    for row in src.execute("SELECT id, title, source, url, published, text, content_hash, added_at, "
                                           "author, site FROM documents"):
                        copy.write_row(row)
                with conn.cursor() as cur, cur.copy(
                        'COPY chunks (doc_id, seq, start, "end", text, text_hash, embedding, published_day) '
                        "FROM STDIN WITH (FORMAT BINARY)") as copy:
                    copy.set_types(["text", "int4", "int4", "int4", "text", "text", "vector", "date"])
                    for doc_id, seq, start, end, text, text_hash, blob, published in src.execute(
                            'SELECT c.doc_id, c.seq, c.start, c."end", c.text, c.text_hash, c.embedding, d.published '
                            "FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY c.id"):
                        copy.write_row((doc_id, seq, start, end, text, text_hash,
                                        np.frombuffer(blob, dtype=np.float32), day_of(published)))
            print(f"  PostgreSQL: COPY of {want[0]} documents, {want[1]} chunks (tsvector computed) in "
                  f"{time.perf_counter() - t:.0f} s; load {load()}")
        conn.execute("SET maintenance_work_mem = '6GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        for name in ("chunks_by_doc", "chunks_by_day", "chunks_tsv", "chunks_words"):
            if not conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0]:
                t = time.perf_counter()
                conn.execute(schema.DERIVED_INDEXES[name])
                print(f"  index {name} built in {time.perf_counter() - t:.0f} s; load {load()}")
        if not conn.execute("SELECT to_regclass(%s)", (schema.HNSW_INDEX,)).fetchone()[0]:
            t = time.perf_counter()
            conn.execute(schema.HNSW_DDL)
            print(f"  HNSW index built in {time.perf_counter() - t:.0f} s (m 16, ef_construction 64, "
                  f"2 processes); load {load()}")
        conn.execute("ANALYZE chunks")
    return pg


def by_dates(stores: dict, questions, vectors, embedder) -> None:
    """Hybrid p50 and p95 as the dates are handled: asked today (side_by_side's way: a quiz's
    "this week" then names an empty window, searched beside the archive), as of each question's
    own date (as `newsrag eval` asks), and with time windows off."""
    from rag.settings import Settings
    from rag.wiring import make_retriever

    print(f"\nhybrid retrieval by date handling, load {load()}")
    print(f"{'store':>14}{'asked today':>22}{'as of its date':>22}{'windows off':>22}")
    for name, store in stores.items():
        cells = []
        for windows, dated in ((True, False), (True, True), (False, False)):
            r = make_retriever(store, embedder, Settings().replace(top_k=5, time_windows=windows))
            ts = []
            for q, v in zip(questions, vectors):
                t = time.perf_counter()
                r.retrieve(q.question, query_vector=v, as_of=q.asked_on if dated else None)
                ts.append(time.perf_counter() - t)
            cells.append(f"{pct(ts, 50):.1f} / {pct(ts, 95):.1f} ms")
        print(f"{name:>14}" + "".join(f"{c:>22}" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--copies", type=int, default=28)
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--exact", type=int, default=30, help="queries for HNSW recall (exact search is slow at 1M)")
    ap.add_argument("--memory-questions", type=int, default=30,
                    help="questions the memory children run (each x 3 modes; a keyword search takes a second here)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-million")
    ap.add_argument("--pg-dir", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-bench-pg")
    args = ap.parse_args()

    from rag.eval.questions import load_questions

    app = eval_app(args.corpus)
    print(f"load {load()}: {args.copies} copies of {app.store.counts()[1]} chunks")
    args.work.mkdir(parents=True, exist_ok=True)
    lite = build_sqlite(app.store, args.work, args.copies)
    _, url = server_url(args.pg_dir, f"million_{args.copies}")
    pg = build_postgres(lite, url)
    docs, chunks = lite.counts()
    questions = [q for q in load_questions(args.questions) if q.has_answer][: args.limit]
    vectors = app.embedder.embed([q.question for q in questions])
    print(f"{len(questions)} questions, {docs} documents, {chunks} chunks on both stores")

    side_by_side({"sqlite+faiss": lite, "postgres": pg}, questions, vectors, app.embedder, app.settings.candidates)
    by_dates({"sqlite+faiss": lite, "postgres": pg}, questions, vectors, app.embedder)
    print(f"\nHNSW recall@10 against exact search (PostgreSQL, {args.exact} queries), load {load()}")
    hnsw_recall(pg, vectors[: args.exact])
    memory({"sqlite+faiss": {"data_dir": str(args.work)}, "postgres": {"data_dir": str(args.work), "store": url}},
           args.questions, vectors[: args.memory_questions], app.embedder.name)

if __name__ == "__main__":
    main()
