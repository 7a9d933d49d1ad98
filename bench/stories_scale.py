"""What placing one article in a story costs as the archive grows: the story table of 1x, 7x and
28x rtqa-dev's articles (28x is bench/million.py's million-chunk set), on SQLite and PostgreSQL.

    NEWSRAG_DATA_DIR=... .venv/bin/python bench/stories_scale.py --corpus CORPUS.jsonl
        [--scales 1 7 28] [--layouts denser longer] [--sample 200] [--work DIR] [--pg-dir DIR]

The design claim checked (rag/stories/assign.py): an article's candidates are read from the story
table's day index (the articles of its horizon), never the archive. The articles are rtqa-dev's
eval index's (`newsrag eval --corpus` builds it): each one's real story vector (its title and lead
embedded by the default model beside the mean of its stored chunk embeddings, as `add` makes it),
names, outlet and day, placed in stories by the real `StoryAssigner` in date order (1x). A scale of
N holds N copies of every article under new ids, on the article's own real day, each copy's vector
moved by Gaussian noise as bench/million.py moves its chunks, in its original's story (the copies
are several reports of one event), laid out two ways: ``denser``, every copy on the article's own
real day (N times the articles on each of the same 1,109 days: every horizon N times as full, the
upper bound of what a bigger archive can cost), and ``longer``, copy k moved k whole spans of the
archive later (N times the days, each as full as rtqa-dev's: an archive grown by time). The claim
holds if ``longer`` stays flat; ``denser`` shows how the cost follows the horizon's density.

Each scale's table is bulk-loaded (executemany on SQLite, COPY on PostgreSQL), with a document row
per article (id, title, day; empty text) so the write's foreign key and EXISTS check run against a
documents table of the scale's size. Then ``--sample`` new articles (copies of a fixed random
sample, noise of their own, fresh ids with document rows) are placed one at a time through the
real `StoryAssigner.place` on the real `SqliteStoryStore` / `PostgresStoryStore`, timing the read of
the horizon (`within`), the write (`put`) and the choice between them; they are removed afterwards,
so a rerun measures the same table. Kept in ``--work`` (SQLite files, the article vectors) and
``--pg-dir`` (the PostgreSQL server, a database per scale), reused on a rerun.

Left out: the chunks, their vector and keyword indexes (assignment never reads them; bench/million.py
measures them at this size), embedding the new article's title and lead (one short text, the same at
any size; bench/stories_cost.py times the whole hook inside `add`), and concurrency.
"""
from __future__ import annotations

import argparse
import contextlib
import pickle
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.stores import eval_app, load, pct, server_url  # noqa: E402
from index.stories import StoryArticle, article_row  # noqa: E402

NOISE = 0.02  # bench/million.py's: about 0.9 cosine to the original in 384 dimensions
PAGE = 200


def base_articles(app, work: Path) -> list[StoryArticle]:
    """rtqa-dev's articles with their real story vectors, placed in stories (cached in ``work``)."""
    from rag.stories.assign import StoryAssigner

    cache = work / "articles.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    t = time.perf_counter()
    assigner = StoryAssigner(_Memory(), app.embedder)
    ids = [d.id for d in app.store.documents()]
    out: list[StoryArticle] = []
    for start in range(0, len(ids), PAGE):
        prepared = app.store.read_prepared(ids[start:start + PAGE])
        out.extend(assigner.articles([p.document for p in prepared], chunk_vectors=[p.embeddings for p in prepared]))
    placed = assigner.place(out)
    print(f"  {len(placed)} article vectors made and placed in {len(set(a.story_id for a in placed))} stories "
          f"in {time.perf_counter() - t:.0f} s")
    cache.write_bytes(pickle.dumps(placed))
    return placed


class _Memory:
    """A story table in a list: for placing the base articles once, before any store."""

    def __init__(self) -> None:
        self.rows: dict[str, StoryArticle] = {}

    def within(self, window):
        return sorted((a for a in self.rows.values() if window[0] <= a.day < window[1]), key=lambda a: (a.day, a.doc_id))

    def put(self, articles) -> None:
        self.rows.update((a.doc_id, a) for a in articles)


def copies(base: list[StoryArticle], copy: int, rng: np.random.Generator, suffix: str | None = None,
           shift: int = 0) -> list[StoryArticle]:
    """Copy ``copy`` of ``base`` under new ids, vectors moved by noise, ``shift`` days later."""
    if copy == 0 and suffix is None:
        return base
    out = []
    for a in base:
        v = a.vector + rng.normal(0.0, NOISE, a.vector.shape).astype(np.float32)
        day = (date.fromisoformat(a.day) + timedelta(days=shift)).isoformat() if shift else a.day
        out.append(replace(a, doc_id=f"{a.doc_id}~{suffix or copy}", day=day,
                           vector=(v / np.linalg.norm(v)).astype(np.float32)))
    return out


def spread(base: list[StoryArticle], layout: str):
    """How many days copy k is moved: none when denser, one whole span (and a month) per copy when longer."""
    if layout == "denser":
        return lambda copy: 0
    days = sorted(a.day for a in base)
    span = (date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days + 30
    return lambda copy: copy * span


def doc_row(a: StoryArticle) -> tuple:
    return (a.doc_id, a.title, a.day, "", "bench", datetime.now(timezone.utc).isoformat())


DOC_SQL = "INSERT INTO documents (id, title, published, text, content_hash, added_at) VALUES ({m}, {m}, {m}, {m}, {m}, {m})"
ROW_SQL = "INSERT INTO story_articles (doc_id, story_id, day, outlet, title, lead, names, vector) VALUES ({m})"


def fill_sqlite(folder: Path, base, scale: int, embed_model: str, shift):
    from index.sqlite.store import SqliteStore
    from index.sqlite.stories import SqliteStoryStore

    folder.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(folder / "newsrag.db", folder / "vectors.faiss", embed_model=embed_model)
    stories = SqliteStoryStore(store)
    if stories.count()[0] != scale * len(base):
        t = time.perf_counter()
        rng = np.random.default_rng(7)
        with store._transaction() as conn:
            conn.execute("DELETE FROM documents")
            for copy in range(scale):
                rows = copies(base, copy, rng, shift=shift(copy))
                conn.executemany(DOC_SQL.format(m="?"), [doc_row(a) for a in rows])
                conn.executemany(ROW_SQL.format(m=", ".join("?" * 8)), [article_row(a) for a in rows])
        store.conn.execute("ANALYZE")
        print(f"  SQLite {scale}x: {scale * len(base)} articles loaded in {time.perf_counter() - t:.1f} s; load {load()}")
    return store, stories


def fill_postgres(url: str, base, scale: int, embed_model: str, shift):
    from index.postgres import PostgresStore, schema
    from index.postgres.stories import PostgresStoryStore

    store = PostgresStore(url, embed_model=embed_model)
    stories = PostgresStoryStore(store)
    if stories.count()[0] != scale * len(base):
        t = time.perf_counter()
        rng = np.random.default_rng(7)
        with store.connection() as conn, conn.transaction():
            if store.dim is None:
                schema.set_width(conn, int(base[0].vector.size // 2))
            conn.execute("TRUNCATE documents CASCADE")
            for copy in range(scale):
                rows = copies(base, copy, rng, shift=shift(copy))
                with conn.cursor() as cur, cur.copy(
                        "COPY documents (id, title, published, text, content_hash, added_at) FROM STDIN") as cp:
                    for a in rows:
                        cp.write_row(doc_row(a))
                with conn.cursor() as cur, cur.copy(f"COPY story_articles ({', '.join(_COLUMNS)}) FROM STDIN") as cp:
                    for a in rows:
                        cp.write_row(article_row(a))
        with store.connection() as conn:
            conn.execute("ANALYZE documents")
            conn.execute("ANALYZE story_articles")
        print(f"  PostgreSQL {scale}x: {scale * len(base)} articles loaded in {time.perf_counter() - t:.1f} s; load {load()}")
    return store, stories


_COLUMNS = ("doc_id", "story_id", "day", "outlet", "title", "lead", "names", "vector")


class Timed:
    """The story store with its horizon reads and writes timed (the choice is the rest)."""

    def __init__(self, stories) -> None:
        self.stories = stories
        self.read = self.write = 0.0
        self.pool = 0

    def within(self, window):
        t = time.perf_counter()
        out = self.stories.within(window)
        self.read = time.perf_counter() - t
        self.pool = len(out)
        return out

    def put(self, articles) -> None:
        t = time.perf_counter()
        self.stories.put(articles)
        self.write = time.perf_counter() - t


def place_sample(store, stories, sample: list[StoryArticle], marker: str) -> dict:
    """Place each sample article alone (as an `add` of one article does), then take them out."""
    from rag.stories.assign import StoryAssigner

    timed = Timed(stories)
    assigner = StoryAssigner(timed, embedder=None)
    with _writer(store) as conn:
        for a in sample:
            conn.execute(DOC_SQL.format(m=marker), doc_row(a))
    whole, read, choose, write, pool = [], [], [], [], []
    try:
        for a in sample:
            t = time.perf_counter()
            assigner.place([a])
            whole.append(time.perf_counter() - t)
            read.append(timed.read)
            write.append(timed.write)
            choose.append(whole[-1] - timed.read - timed.write)
            pool.append(timed.pool)
    finally:
        with _writer(store) as conn:
            for a in sample:
                conn.execute(f"DELETE FROM documents WHERE id = {marker}", (a.doc_id,))
    return {"whole": whole, "read": read, "choose": choose, "write": write, "pool": pool}


@contextlib.contextmanager
def _writer(store):
    """A transaction on either store's connection (the bench's own document rows)."""
    if hasattr(store, "_transaction"):
        with store._transaction() as conn:
            yield conn
    else:
        with store.connection() as conn, conn.transaction():
            yield conn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 7, 28])
    ap.add_argument("--layouts", nargs="+", choices=("denser", "longer"), default=["denser", "longer"],
                    help="copies on the same days (every horizon fuller) or one after another (a longer archive)")
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-stories-scale")
    ap.add_argument("--pg-dir", type=Path, default=Path(tempfile.gettempdir()) / "newsrag-bench-pg")
    args = ap.parse_args()

    app = eval_app(args.corpus)
    args.work.mkdir(parents=True, exist_ok=True)
    base = base_articles(app, args.work)
    chunks_per_copy = app.store.counts()[1]
    days = len({a.day for a in base})
    rng = np.random.default_rng(11)
    picked = sorted(rng.choice(len(base), size=min(args.sample, len(base)), replace=False))
    sample = [replace(a, story_id="") for a in copies([base[i] for i in picked], 0, rng, suffix="new")]
    print(f"load {load()}: {len(base)} articles ({chunks_per_copy} chunks) on {days} days; "
          f"{len(sample)} new articles placed one at a time at each scale")

    runs = [(layout, scale) for layout in args.layouts for scale in args.scales
            if scale > 1 or layout == args.layouts[0]]  # 1x is one layout
    results: dict[tuple[str, str, int], dict] = {}
    for layout, scale in runs:
        name = "1" if scale == 1 else f"{scale}-{layout}"
        shift = spread(base, layout)
        lite, lite_stories = fill_sqlite(args.work / f"sqlite-{name}", base, scale, app.store.embed_model, shift)
        results[("sqlite", layout, scale)] = place_sample(lite, lite_stories, sample, "?")
        lite.close()
        _, url = server_url(args.pg_dir, f"stories_{name.replace('-', '_')}")
        pg, pg_stories = fill_postgres(url, base, scale, app.store.embed_model, shift)
        results[("postgres", layout, scale)] = place_sample(pg, pg_stories, sample, "%s")
        pg.close()
        print(f"  {name} measured; load {load()}")

    first = runs[0]
    print(f"\nplacing one article (ms, p50 / p95; x: the p50 over {first[1]}x's), load {load()}")
    print(f"{'store':>10}{'layout':>8}{'scale':>7}{'articles':>10}{'~chunks':>11}{'horizon p50':>13}"
          f"{'whole':>18}{'x':>6}{'read horizon':>18}{'choose':>16}{'write':>16}")
    for store in ("sqlite", "postgres"):
        for layout, scale in runs:
            r = results[(store, layout, scale)]
            ratio = np.median(r["whole"]) / np.median(results[(store, *first)]["whole"])
            cells = [f"{pct(r[k], 50):.1f} / {pct(r[k], 95):.1f}" for k in ("whole", "read", "choose", "write")]
            print(f"{store:>10}{layout if scale > 1 else '':>8}{scale:>6}x{scale * len(base):>10,}{scale * chunks_per_copy:>11,}"
                  f"{np.median(r['pool']):>13.0f}{cells[0]:>18}{ratio:>6.1f}{cells[1]:>18}{cells[2]:>16}{cells[3]:>16}")


if __name__ == "__main__":
    main()
