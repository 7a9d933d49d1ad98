"""Kill `Ingestor.add` with SIGKILL at random moments; after every kill, check the store.

    .venv/bin/python bench/crash.py [--docs 3000] [--kills 50] [--save-kills 20] [--seed 1]

Ingest loop: generated articles (``--docs`` of them, then a second version of the corpus where a
third of them changed and a tenth are new) are added by a child process running the real
`Ingestor.add` (loading, chunking, SQLite, FTS5, FAISS file). The child is SIGKILLed at a moment
drawn uniformly over the time a full run takes, then restarted on the same data folder, until
``--kills`` kills have happened; each round starts from an empty folder. After every run, killed
or not, a fresh `SqliteStore` is opened (its FAISS index catches up) and this script checks that:
`check_store` finds no problem; every document is absent or exactly one whole version (all its
chunks with the right offsets and text, their embeddings, one keyword row per chunk, one vector
per chunk); nothing is duplicated; the FAISS index holds exactly SQLite's chunk ids with the
stored vectors; the run embedded no chunk of a document that was already committed when it
started, and a run that finished embedded exactly the chunks that were missing.

Save loop (``--save-kills``): a child adds a small document and calls `SqliteStore.save_vectors` on a
store of ``--save-vectors`` vectors, over and over, and is SIGKILLed at random; the saved file
must then load (never torn), reflect a generation at least as new as the last completed save, and
the store must check clean. Then truncated and bit-flipped copies of the file must be refused.

Left out: the real embedding model. A feature-hashing embedder defined here stands in (a store's
consistency does not depend on which vectors it holds, and it keeps a run to seconds); it is
never reachable from newsrag itself. Power cuts are not simulated: SIGKILL loses no committed
SQLite transaction, while a power cut under synchronous=NORMAL may lose the last few, which a
rerun of the same add restores.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TOKEN = re.compile(r"\bzq(\d{6})\b")
VOCAB = ("market minister council storm harbour vaccine election river bank court budget strike "
         "museum satellite festival drought tariff rail station mayor senate coast factory school "
         "hospital airline energy wheat copper bridge summit treaty protest border police").split()


# -- the stand-in embedder -------------------------------------------------------------------

class FeatureHashEmbedder:
    """Deterministic bag-of-words vectors (words hashed into ``dim`` buckets), L2-normalised.

    With ``log`` set, each call appends one line naming the document token of every text it
    embedded, before returning: a SIGKILLed run leaves an exact record of what it had embedded.
    """

    name = "crash-bench-feature-hash"

    def __init__(self, dim: int = 64, log: Path | None = None) -> None:
        self.dim = dim
        self.log = log

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = zlib.crc32(word.encode())
                out[row, h % self.dim] += 1.0 if h & 1 << 20 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        if self.log is not None and texts:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(" ".join(_token(t) for t in texts) + "\n")
        return out

    def check_against(self, sample) -> None:
        pass  # run in process: nothing to check


def _token(text: str) -> str:
    m = TOKEN.search(text)
    return m.group(1) if m else "?"


# -- child processes ---------------------------------------------------------------------------

def driver_main(argv: Sequence[str]) -> None:
    """The process that gets killed: one `Ingestor.add` of the given files into ``--data``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--log", type=Path, required=True)
    ap.add_argument("--ann-threshold", type=int, default=0)
    ap.add_argument("paths", nargs="+", type=Path)
    args = ap.parse_args(argv)
    from rag.chunking import Chunker
    from rag.ingest import Ingestor
    from rag.settings import Settings
    from rag.wiring import limits

    defaults = Settings()
    embedder = FeatureHashEmbedder(log=args.log)
    store = open_store(args.data, args.ann_threshold)
    ingestor = Ingestor(store, embedder, Chunker(defaults.chunk_size, defaults.chunk_overlap),
                        limits=limits(defaults))
    print("ready", flush=True)
    report = ingestor.add(args.paths)
    print(json.dumps({"added": len(report.added), "updated": len(report.updated),
                      "unchanged": len(report.unchanged), "embedded": report.embedded,
                      "errors": [str(e) for e in report.errors]}), flush=True)


def saver_main(argv: Sequence[str]) -> None:
    """The process that gets killed while it writes the FAISS file, again and again."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args(argv)
    store = open_store(args.data, 0)
    store.vectors()
    print("ready", flush=True)
    for n in range(10**9):
        store.write([_small_doc(f"s{os.getpid()}-{n}", 10, n)])
        generation = store.generation()
        print(f"begin {generation}", flush=True)
        store.save_vectors()
        print(f"end {generation}", flush=True)


def open_store(data: Path, ann_threshold: int = 0):
    from index.sqlite.store import SqliteStore

    embedder = FeatureHashEmbedder()
    return SqliteStore(data / "newsrag.db", data / "vectors.faiss", embed_model=embedder.name,
                       dim=embedder.dim, ann_threshold=ann_threshold)


def _small_doc(doc_id: str, chunks: int, seed: int):
    from index.records import Chunk, Document, PreparedDocument

    words = [f"{doc_id}w{i}" for i in range(chunks)]
    spans, start = [], 0
    for i, w in enumerate(words):
        spans.append(Chunk(doc_id, i, start, start + len(w), w))
        start += len(w) + 1
    vectors = np.random.default_rng(seed).standard_normal((chunks, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return PreparedDocument(Document(doc_id, doc_id, " ".join(words)), f"hash-{doc_id}", tuple(spans),
                            vectors, tuple(words))


# -- the generated corpus ----------------------------------------------------------------------

@dataclass
class Version:
    """One corpus file, with what the store must hold for each of its documents."""

    path: Path
    hashes: dict[str, str]  # doc id -> content hash
    chunks: dict[str, list[tuple[int, int, int, str]]]  # doc id -> (seq, start, end, text)


def make_corpus(folder: Path, docs: int, seed: int) -> tuple[Version, Version]:
    """v1: ``docs`` articles; v2: every third one's ending rewritten, every seventh retitled
    (same text: nothing to embed), a tenth more new ones."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def sentence(n: int) -> str:
        words = [rng.choice(VOCAB) for _ in range(rng.randint(6, 12))]
        return f"zq{n:06d} " + " ".join(words).capitalize() + "."

    def body(n: int, count: int) -> list[str]:
        return [sentence(n) for _ in range(count)]

    v1_rows, v2_rows = [], []
    for n in range(docs):
        sentences = body(n, rng.randint(3, 60))
        title = f"Article {n}"
        v1_rows.append({"id": f"doc-{n}", "title": title, "text": _paragraphs(sentences, rng)})
        if n % 3 == 0:
            keep = len(sentences) * 2 // 3
            sentences = sentences[:keep] + body(n, rng.randint(1, 20))
        if n % 7 == 0:
            title = f"Article {n}, revised"
        v2_rows.append({"id": f"doc-{n}", "title": title, "text": _paragraphs(sentences, rng)})
    for n in range(docs, docs + docs // 10):
        v2_rows.append({"id": f"doc-{n}", "title": f"Article {n}",
                        "text": _paragraphs(body(n, rng.randint(3, 60)), rng)})
    return _version(folder / "v1.jsonl", v1_rows), _version(folder / "v2.jsonl", v2_rows)


def _paragraphs(sentences: list[str], rng: random.Random) -> str:
    out, para = [], []
    for s in sentences:
        para.append(s)
        if rng.random() < 0.2:
            out.append(" ".join(para))
            para = []
    if para:
        out.append(" ".join(para))
    return "\n\n".join(out)


def _version(path: Path, rows: list[dict]) -> Version:
    from index.records import Document
    from rag.chunking import Chunker
    from rag.ingest import content_hash
    from rag.loaders.jsonl import load_jsonl
    from rag.settings import Settings
    from rag.wiring import limits

    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    defaults = Settings()
    chunker = Chunker(defaults.chunk_size, defaults.chunk_overlap)
    hashes, chunks = {}, {}
    # Read back through the same loader the driver uses, so hashes see the same normalised text.
    for doc in load_jsonl(path, limits(defaults)):
        assert isinstance(doc, Document), doc
        hashes[doc.id] = content_hash(doc)
        chunks[doc.id] = [(c.seq, c.start, c.end, c.text) for c in chunker.split(doc)]
    return Version(path, hashes, chunks)


# -- verification ------------------------------------------------------------------------------

Snapshot = dict[str, tuple[str, list[str]]]  # doc id -> (content hash, chunk texts)


def verify(data: Path, versions: Sequence[Version], ann_threshold: int = 0) -> tuple[list[str], Snapshot]:
    """Open the store as any process would, and list every inconsistency found."""
    from index.sqlite.check import check_store

    problems: list[str] = []
    if not (data / "newsrag.db").exists():
        return problems, {}
    store = open_store(data, ann_threshold)
    try:
        conn = store.conn
        index = store.vectors()  # loads the saved file (or rebuilds it) and catches up
        report = check_store(store)
        problems += [f"check_store: {p}" for p in report.problems]
        embedder = FeatureHashEmbedder()
        known = {}
        for version in versions:
            for doc_id, digest in version.hashes.items():
                known[digest] = (version, doc_id)
        snapshot: Snapshot = {}
        db_chunk_ids: set[int] = set()
        for doc_id, digest in conn.execute("SELECT id, content_hash FROM documents").fetchall():
            rows = conn.execute('SELECT id, seq, start, "end", text, embedding FROM chunks '
                                "WHERE doc_id = ? ORDER BY seq", (doc_id,)).fetchall()
            snapshot[doc_id] = (digest, [r[4] for r in rows])
            ids = [r[0] for r in rows]
            db_chunk_ids.update(ids)
            if digest not in known or known[digest][1] != doc_id:
                problems.append(f"{doc_id}: content hash matches no version of it")
                continue
            version = known[digest][0]
            if [(r[1], r[2], r[3], r[4]) for r in rows] != version.chunks[doc_id]:
                problems.append(f"{doc_id}: {len(rows)} chunks, not the {len(version.chunks[doc_id])} of its version")
                continue
            stored = np.vstack([np.frombuffer(r[5], dtype=np.float32) for r in rows])
            if not np.allclose(stored, embedder.embed([r[4] for r in rows]), atol=1e-6):
                problems.append(f"{doc_id}: stored embeddings differ from its chunks' embeddings")
            token = _token(rows[0][4])
            fts = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?",
                                              (f'"zq{token}"',))}
            if fts != set(ids):
                problems.append(f"{doc_id}: keyword rows {len(fts)} for {len(ids)} chunks")
            for chunk_id, vector in zip(ids, stored):
                got = index.reconstruct(chunk_id)
                if got is None or not np.allclose(got, vector, atol=1e-6):
                    problems.append(f"{doc_id}: chunk {chunk_id} has no or a wrong vector in FAISS")
                    break
        all_chunk_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
        if all_chunk_ids != db_chunk_ids:
            problems.append(f"{len(all_chunk_ids - db_chunk_ids)} chunks belong to no document")
        if set(index.ids().tolist()) != all_chunk_ids:
            problems.append(f"FAISS holds {index.count} vectors for {len(all_chunk_ids)} chunks")
        for digest, n in conn.execute("SELECT content_hash, COUNT(*) FROM documents GROUP BY content_hash HAVING COUNT(*) > 1"):
            problems.append(f"{n} documents share content hash {digest[:12]}")
        for doc_id, seq, n in conn.execute("SELECT doc_id, seq, COUNT(*) FROM chunks GROUP BY doc_id, seq HAVING COUNT(*) > 1"):
            problems.append(f"{doc_id}: chunk {seq} stored {n} times")
        return problems, snapshot
    finally:
        store.close()


def pending_work(snapshot: Snapshot, target: Version) -> tuple[set[str], int]:
    """Tokens of documents the add still has to write, and how many chunks it must embed.

    A stored older version of a document lends the embeddings of its unchanged chunks."""
    tokens, embed = set(), 0
    for doc_id, digest in target.hashes.items():
        have = snapshot.get(doc_id)
        if have is not None and have[0] == digest:
            continue
        tokens.add(_token(target.chunks[doc_id][0][3]))
        stored = set(have[1]) if have else set()
        embed += sum(1 for c in target.chunks[doc_id] if c[3] not in stored)
    return tokens, embed


# -- the kill loops ----------------------------------------------------------------------------

@dataclass
class KillStats:
    kills: int = 0
    completed_runs: int = 0
    rounds: int = 0
    problems: list[str] = field(default_factory=list)
    kill_after_s: list[float] = field(default_factory=list)
    committed_at_kill: list[float] = field(default_factory=list)  # share of the phase's documents
    resumed_embedded: int = 0  # chunks embedded by runs that finished after a kill
    resumed_expected: int = 0
    reembedded_committed: int = 0  # chunks of already-committed documents embedded again (must be 0)
    full_run_s: dict[str, float] = field(default_factory=dict)
    verify_s: list[float] = field(default_factory=list)


def run_driver(data: Path, log: Path, paths: Sequence[Path], ann_threshold: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--driver", "--data", str(data), "--log", str(log),
         "--ann-threshold", str(ann_threshold), *map(str, paths)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )


def ingest_kill_loop(workdir: Path, docs: int, kills: int, seed: int, ann_threshold: int = 0,
                     say=print) -> KillStats:
    rng = random.Random(seed)
    v1, v2 = make_corpus(workdir / "corpus", docs, seed)
    stats = KillStats()
    log = workdir / "embedded.log"

    # One uninterrupted round first: the baseline, and how long each phase takes.
    data = workdir / "calibrate"
    for name, version in (("v1", v1), ("v2", v2)):
        proc = run_driver(data, log, [version.path], ann_threshold)
        assert proc.stdout is not None
        proc.stdout.readline()
        t = time.perf_counter()  # from the end of the imports, as for the kills below
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"calibration run failed:\n{err[-3000:]}")
        stats.full_run_s[name] = time.perf_counter() - t
    problems, _ = verify(data, (v1, v2), ann_threshold)
    stats.problems += [f"uninterrupted run: {p}" for p in problems]
    shutil.rmtree(data)

    while stats.kills < kills:
        stats.rounds += 1
        data = workdir / f"round-{stats.rounds}"
        snapshot: Snapshot = {}
        for name, version in (("v1", v1), ("v2", v2)):
            phase_killed = False
            while True:
                tokens, expected = pending_work(snapshot, version)
                log.write_text("")
                proc = run_driver(data, log, [version.path], ann_threshold)
                assert proc.stdout is not None
                ready = proc.stdout.readline()  # imports done: kill only during real work
                started = time.perf_counter()
                killed = False
                if ready.strip() == "ready" and stats.kills < kills:
                    delay = rng.uniform(0, stats.full_run_s[name])
                    try:
                        proc.wait(timeout=delay)
                    except subprocess.TimeoutExpired:
                        proc.send_signal(signal.SIGKILL)
                        killed = True
                        stats.kill_after_s.append(time.perf_counter() - started)
                out, err = proc.communicate()
                if not killed and proc.returncode != 0:
                    raise RuntimeError(f"driver failed ({proc.returncode}):\n{err[-3000:]}")
                embedded = [t for line in log.read_text().split("\n") for t in line.split()]
                stray = sum(1 for t in embedded if t not in tokens)
                stats.reembedded_committed += stray
                if stray:
                    stats.problems.append(f"round {stats.rounds} {name}: {stray} chunks of committed documents embedded again")
                t = time.perf_counter()
                problems, snapshot = verify(data, (v1, v2), ann_threshold)
                stats.verify_s.append(time.perf_counter() - t)
                where = f"round {stats.rounds} {name} {'kill' if killed else 'run'}"
                stats.problems += [f"{where}: {p}" for p in problems]
                if killed:
                    phase_killed = True
                    stats.kills += 1
                    done = sum(1 for d, h in version.hashes.items() if snapshot.get(d, ("",))[0] == h)
                    stats.committed_at_kill.append(done / len(version.hashes))
                    say(f"  kill {stats.kills:3d}/{kills}: {name} after {stats.kill_after_s[-1]:5.2f}s, "
                        f"{done}/{len(version.hashes)} documents committed, "
                        f"{len(embedded)} chunks embedded, {len(problems)} problems")
                    continue
                report = json.loads(out.strip().splitlines()[-1])
                if len(embedded) != expected or report["embedded"] != expected:
                    stats.problems.append(f"{where}: embedded {len(embedded)} chunks, expected {expected}")
                if phase_killed:
                    stats.resumed_embedded += len(embedded)
                    stats.resumed_expected += expected
                stats.completed_runs += 1
                break
        final, _ = verify(data, (v2,), ann_threshold)
        stats.problems += [f"round {stats.rounds} end: {p}" for p in final]
        if len(snapshot) != len(v2.hashes):
            stats.problems.append(f"round {stats.rounds} end: {len(snapshot)} documents, expected {len(v2.hashes)}")
        shutil.rmtree(data)
    return stats


@dataclass
class SaveStats:
    kills: int = 0
    inside_save: int = 0
    loaded_ok: int = 0
    problems: list[str] = field(default_factory=list)
    save_s: float = 0.0
    file_mb: float = 0.0
    orphans_seen: int = 0
    refused_damaged: int = 0
    damaged_tried: int = 0


def save_kill_loop(workdir: Path, vectors: int, kills: int, seed: int, say=print) -> SaveStats:
    from index.sqlite import vector_file
    from index.sqlite.check import check_store
    from index.sqlite.vector_file import VectorFileError

    rng = random.Random(seed)
    data = workdir / "save"
    store = open_store(data)
    per_doc = 10
    for start in range(0, vectors // per_doc, 1000):
        store.write([_small_doc(f"p{n}", per_doc, n) for n in range(start, min(start + 1000, vectors // per_doc))])
    t = time.perf_counter()
    store.save_vectors()
    stats = SaveStats(save_s=time.perf_counter() - t, file_mb=store.faiss_path.stat().st_size / 1e6)
    store.close()
    last_end = 0
    while stats.kills < kills:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--saver", "--data", str(data)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(rng.uniform(0, 4 * stats.save_s + 0.05))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        stats.kills += 1
        lines = out.split("\n")
        events = [line.split() for line in lines if line.startswith(("begin", "end"))]
        if events and events[-1][0] == "begin":
            stats.inside_save += 1
        ends = [int(e[1]) for e in events if e[0] == "end"]
        last_end = max([last_end, *ends])
        stats.orphans_seen += bool(list(data.glob("vectors.faiss.*.tmp")))
        try:
            saved = vector_file.load(data / "vectors.faiss", 64)
            stats.loaded_ok += 1
            if saved.generation < last_end:
                stats.problems.append(f"kill {stats.kills}: file at generation {saved.generation}, "
                                      f"older than the last completed save ({last_end})")
        except VectorFileError as exc:
            stats.problems.append(f"kill {stats.kills}: the saved file does not load: {exc}")
        store = open_store(data)
        store.vectors()
        report = check_store(store)
        stats.problems += [f"kill {stats.kills}: check_store: {p}" for p in report.problems]
        store.close()
        say(f"  save kill {stats.kills:3d}/{kills}: {'inside' if events and events[-1][0] == 'begin' else 'between'} "
            f"saves, {len(ends)} saves completed, {len(report.problems)} problems")
    # The next save removes temporary files of killed writers.
    store = open_store(data)
    store.write([_small_doc("last", 10, 1)])
    store.save_vectors()
    left = list(data.glob("vectors.faiss.*.tmp"))
    if left:
        stats.problems.append(f"{len(left)} temporary files of killed writers were not cleaned up")
    store.close()
    # Torn and damaged files are refused, never parsed.
    good = (data / "vectors.faiss").read_bytes()
    bad = data / "damaged.faiss"
    for i in range(40):
        stats.damaged_tried += 1
        if i % 2 == 0:
            damaged = good[: rng.randrange(0, len(good))]
        else:
            spot = rng.randrange(len(good) // 2, len(good))  # in the payload, not only the header
            damaged = good[:spot] + bytes([good[spot] ^ (1 << rng.randrange(8))]) + good[spot + 1 :]
        bad.write_bytes(damaged)
        try:
            vector_file.load(bad, 64)
            stats.problems.append(f"a damaged file ({len(damaged)} of {len(good)} bytes) was trusted")
        except VectorFileError:
            stats.refused_damaged += 1
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=3000, help="articles in the first version of the corpus")
    ap.add_argument("--kills", type=int, default=50, help="SIGKILLs during Ingestor.add")
    ap.add_argument("--save-kills", type=int, default=20, help="SIGKILLs during SqliteStore.save_vectors")
    ap.add_argument("--save-vectors", type=int, default=100_000, help="vectors in the save-loop store")
    ap.add_argument("--ann-threshold", type=int, default=0,
                    help="SqliteStore ann_threshold for the ingest loop (0: exact index; small: exercise IVF)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="keep the work here (default: a temporary folder, removed)")
    args = ap.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsrag-crash-"))
    workdir.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        if args.kills:
            t = time.perf_counter()
            s = ingest_kill_loop(workdir, args.docs, args.kills, args.seed, args.ann_threshold)
            print(f"\ningest kill loop: {args.docs} articles (+{args.docs // 10} new, {args.docs // 3 + 1} changed "
                  f"in v2), {time.perf_counter() - t:.0f} s")
            print(f"  uninterrupted add: v1 {s.full_run_s['v1']:.1f} s, v2 {s.full_run_s['v2']:.1f} s (after start-up)")
            print(f"  SIGKILLs: {s.kills} over {s.rounds} rounds; kill moments {min(s.kill_after_s):.2f}.."
                  f"{max(s.kill_after_s):.2f} s into the work; documents committed at the kill: "
                  f"min {min(s.committed_at_kill):.0%}, median {statistics.median(s.committed_at_kill):.0%}, "
                  f"max {max(s.committed_at_kill):.0%}")
            print(f"  runs that finished: {s.completed_runs}; chunks embedded by finishing runs after kills: "
                  f"{s.resumed_embedded} (expected: only the missing ones, {s.resumed_expected})")
            print(f"  chunks of committed documents embedded again: {s.reembedded_committed}")
            print(f"  verification per kill: median {statistics.median(s.verify_s):.2f} s")
            print(f"  problems: {len(s.problems)}")
            for p in s.problems[:20]:
                print(f"    {p}")
            failed |= bool(s.problems)
        if args.save_kills:
            t = time.perf_counter()
            s2 = save_kill_loop(workdir, args.save_vectors, args.save_kills, args.seed)
            print(f"\nsave kill loop: {args.save_vectors} vectors ({s2.file_mb:.1f} MB file, one save "
                  f"{s2.save_s:.2f} s), {time.perf_counter() - t:.0f} s")
            print(f"  SIGKILLs: {s2.kills}, {s2.inside_save} of them between 'begin save' and 'saved'; "
                  f"the file loaded after {s2.loaded_ok}/{s2.kills}; kills that left a temporary file: "
                  f"{s2.orphans_seen} (removed by the next save)")
            print(f"  damaged copies refused: {s2.refused_damaged}/{s2.damaged_tried}")
            print(f"  problems: {len(s2.problems)}")
            for p in s2.problems[:20]:
                print(f"    {p}")
            failed |= bool(s2.problems)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    print("FAILED" if failed else "all checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--driver":
        driver_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--saver":
        saver_main(sys.argv[2:])
    else:
        main()
