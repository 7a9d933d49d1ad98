"""Concurrent use: several chat askers sharing one model, and readers querying during ingestion.

    .venv/bin/python bench/concurrency.py [--model smollm2-135m] [--askers 1 4 8] [--answers 16]
                                         [--backends in-process server:1 server:4]
                                         [--corpus FILE.jsonl] [--questions FILE.jsonl]

Askers: one process wired like the chat app (one store, one embedder, one language model), with 1,
then 4, then 8 threads asking questions through `Pipeline.stream` at once. The model is, per
``--backends`` entry, in the process (``in-process``: llama.cpp behind its lock), or a local
OpenAI-compatible server with N parallel slots (``server:N``, started here with ``rag.serving``:
llama.cpp's llama-server when built, else llama-cpp-python's server, which only takes 1), same
GGUF, same questions, run one after another and printed side by side. Each
level answers ``--answers`` questions in total (the askers share them out) and reports throughput
(answers per minute of wall time), median and p95 latency from asking to the checked answer, and
the p95 time to first token. Every answer must complete. The corpus is the shipped ``corpus/``
(plus ``--corpus`` if given); the default questions are about it and all reach the model (none
is answered "not covered" without it), so the figures measure the model queue.

Left out: the browser and HTTP layer (Gradio queues requests itself before they reach this). The
reader half (``--reader``, used by tests/index/sqlite/test_concurrency.py) is a process that queries a
store in a loop while another process writes, checking that it never sees half a document.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "Which firms are pooling chip R&D?",
    "What are Chinese tech firms trying to reduce their reliance on?",
    "Which U.S. chipmakers is China decoupling from?",
    "Under which initiative is Beijing offering incentives to startups and universities?",
    "What do the new joint ventures between private firms and government labs aim to accelerate?",
    "What kind of AI ecosystems may the world see as East and West diverge?",
    "Why are Chinese companies forming AI alliances?",
    "What does China seek to control by decoupling from U.S. chipmakers?",
]


# -- readers during ingestion (used by tests/index/sqlite/test_concurrency.py) ------------------------

@dataclass
class ReaderStats:
    queries: int = 0
    errors: list[str] = field(default_factory=list)
    half_documents: list[str] = field(default_factory=list)
    first_docs: int = -1  # documents visible at the first query
    last_docs: int = 0  # at the last one (after the writer finished)
    last_vectors: int = 0
    last_found_new: bool = False  # the newest document was findable by search at the end
    seconds: list[float] = field(default_factory=list)


def read_loop(store, embedder, retriever, expected: dict[str, int], done: Callable[[], bool],
              newest_token: str, seed: int) -> ReaderStats:
    """Query until ``done()`` turns true, then once more; check every document seen is whole.

    ``expected`` maps each acceptable content hash to its document's chunk count: a document is
    whole when its hash is one of them and it has exactly that many chunks.
    """
    from bench.crash import VOCAB

    rng = random.Random(seed)
    stats = ReaderStats()
    final = False
    while True:
        finishing = done()
        try:
            words = " ".join(rng.choice(VOCAB) for _ in range(3))
            t = time.perf_counter()
            seen: set[str] = set()
            for chunk_id, _ in store.dense_search(embedder.embed([words])[0], 20):
                seen.update(p.doc_id for p in store.passages([chunk_id]).values())
            for chunk_id, _ in store.keyword_search(words, 20):
                seen.update(p.doc_id for p in store.passages([chunk_id]).values())
            seen.update(p.doc_id for p in retriever.retrieve(words))
            seen.add(f"doc-{rng.randrange(0, 10_000)}")  # and some documents not searched for
            for doc_id in seen:
                _check_whole(store, doc_id, expected, stats)
            stats.seconds.append(time.perf_counter() - t)
            (docs,) = store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()
            if stats.first_docs < 0:
                stats.first_docs = int(docs)
            stats.queries += 1
            if final:
                stats.last_docs = int(docs)
                stats.last_vectors = store.vectors().count
                hits = store.keyword_search(newest_token, 5)
                stats.last_found_new = bool(hits)
        except Exception:  # noqa: BLE001 - any failure of a query is what this loop counts
            stats.errors.append(traceback.format_exc(limit=3))
        if final:
            return stats
        final = finishing


def _check_whole(store, doc_id: str, expected: dict[str, int], stats: ReaderStats) -> None:
    # One statement reads one snapshot: the hash and the chunk count are from the same commit.
    digest, chunks = store.conn.execute(
        "SELECT (SELECT content_hash FROM documents WHERE id = ?1), "
        "(SELECT COUNT(*) FROM chunks WHERE doc_id = ?1)", (doc_id,),
    ).fetchone()
    if digest is None:
        if chunks:
            stats.half_documents.append(f"{doc_id}: {chunks} chunks without a document row")
    elif expected.get(digest) != chunks:
        stats.half_documents.append(f"{doc_id}: {chunks} chunks, a whole version has {expected.get(digest)}")


def reader_main(argv: Sequence[str]) -> None:
    """A reader process: query ``--data`` until ``--stop`` exists; write stats to ``--out``."""
    from bench.crash import FeatureHashEmbedder, open_store
    from rag.settings import Settings
    from rag.wiring import make_retriever

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--expected", type=Path, required=True)
    ap.add_argument("--stop", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--newest", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    expected = json.loads(args.expected.read_text())
    embedder = FeatureHashEmbedder()
    store = open_store(args.data)
    retriever = make_retriever(store, embedder, Settings().replace(retriever="hybrid"))
    print("ready", flush=True)
    stats = read_loop(store, embedder, retriever, expected, args.stop.exists, args.newest, args.seed)
    args.out.write_text(json.dumps(asdict(stats)))


# -- askers through the pipeline, with the real model -----------------------------------------

@dataclass
class Level:
    askers: int
    answers: int
    wall_s: float
    latencies: list[float]
    first_tokens: list[float]
    errors: list[str]
    model_calls: int  # answers that went through the model (not "not covered" without it)
    prep_s: list[float]  # retrieval and evidence selection (embedding), before the model is asked

    @property
    def per_minute(self) -> float:
        return 60.0 * self.answers / self.wall_s

    def p95(self, values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def ask_level(app, questions: list[str], askers: int, answers: int) -> Level:
    from rag.records import Answer

    jobs = [questions[i % len(questions)] for i in range(answers)]
    lock = threading.Lock()
    latencies: list[float] = []
    first_tokens: list[float] = []
    errors: list[str] = []
    model_calls = [0]
    prep_s: list[float] = []

    def asker() -> None:
        while True:
            with lock:
                if not jobs:
                    return
                question = jobs.pop(0)
            t = time.perf_counter()
            first = None
            try:
                answer = None
                for item in app.pipeline.stream(question):
                    if isinstance(item, Answer):
                        answer = item
                    elif first is None:
                        first = time.perf_counter() - t
                if answer is None or not answer.text.strip():
                    raise RuntimeError(f"no answer to {question!r}")
                with lock:
                    model_calls[0] += "prompt_ready" in answer.timings
                    if "prompt_ready" in answer.timings:
                        prep_s.append(answer.timings["prompt_ready"])
                    latencies.append(time.perf_counter() - t)
                    first_tokens.append(first if first is not None else latencies[-1])
            except Exception:  # noqa: BLE001 - counted and reported: every answer must complete
                with lock:
                    errors.append(traceback.format_exc(limit=4))

    threads = [threading.Thread(target=asker) for _ in range(askers)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Level(askers, len(latencies), time.perf_counter() - t, latencies, first_tokens, errors, model_calls[0],
                 prep_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m", help="smollm2-135m (default, quick), qwen2.5-1.5b, or a .gguf")
    ap.add_argument("--askers", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--answers", type=int, default=16, help="answers per level, shared out among its askers")
    ap.add_argument("--corpus", type=Path, help="a JSONL file to index besides corpus/")
    ap.add_argument("--questions", type=Path, help="JSONL with a 'question' field (default: questions about corpus/)")
    ap.add_argument("--cache-dir", type=Path, help="model cache (default: the user cache folder)")
    ap.add_argument("--threads", type=int, default=0,
                    help="llama.cpp threads, in process and in the servers alike (0: all cores)")
    ap.add_argument("--backends", nargs="+", default=["in-process"],
                    help="in-process and/or server:N (a local model server with N slots), run in turn")
    args = ap.parse_args()
    for backend in args.backends:
        _slots(backend)  # refuse a malformed entry before any work

    from rag.embedding import SentenceTransformerEmbedder
    from rag.settings import load_settings
    from rag.wiring import build

    work = Path(tempfile.mkdtemp(prefix="newsrag-concurrency-"))
    settings = load_settings({}, data_dir=work / "data", model=args.model, cache_dir=args.cache_dir,
                             n_threads=args.threads)
    # A SIGTERM (timeout, Ctrl+C in a pipeline) unwinds like Ctrl+C, so servers started here stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    embedder = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)
    app = build(settings, embedder=embedder)
    app.index_shipped_corpus()
    if args.corpus:
        app.ingestor.add([args.corpus])
    questions = QUESTIONS
    if args.questions:
        questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    print(f"load average {os.getloadavg()[0]:.1f}; model {args.model}, {app.store.counts()[0]} documents, "
          f"{len(questions)} questions", file=sys.stderr)
    rows: list[tuple[str, Level]] = []
    for backend in args.backends:
        with _backend(backend, settings, work) as (label, backend_settings):
            app = build(backend_settings, embedder=embedder)
            warm = app.pipeline.ask(questions[0])  # loads the model, or reaches the server; not timed
            print(f"{label}: warm-up answer {warm.text[:80]!r}", file=sys.stderr)
            for askers in args.askers:
                level = ask_level(app, questions, askers, args.answers)
                rows.append((label, level))
                print(f"  {label}, {askers} askers: {level.answers}/{args.answers} answers in {level.wall_s:.1f} s "
                      f"(load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
                for error in level.errors[:3]:
                    print(error, file=sys.stderr)
    print(f"\nconcurrent askers through Pipeline.stream, model {args.model}, {args.answers} answers per level, "
          f"{settings.n_threads or os.cpu_count()} llama.cpp threads")
    print(f"{'backend':>22} {'askers':>6} {'answers':>8} {'model calls':>11} {'answers/min':>12} {'median s':>9} "
          f"{'p95 s':>7} {'p95 first token s':>18} {'median prep s':>14} {'errors':>7}")
    for label, lv in rows:
        print(f"{label:>22} {lv.askers:>6} {lv.answers:>8} {lv.model_calls:>11} {lv.per_minute:>12.1f} "
              f"{statistics.median(lv.latencies or [0.0]):>9.1f} {lv.p95(lv.latencies or [0.0]):>7.1f} "
              f"{lv.p95(lv.first_tokens or [0.0]):>18.1f} {statistics.median(lv.prep_s or [0.0]):>14.2f} "
              f"{len(lv.errors):>7}")
    levels = [lv for _, lv in rows]
    print("prep: retrieval and evidence selection before the model is asked (CPU work that, with several "
          "askers,\nruns beside the model's generation on the same cores)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared: timings vary with it)")
    failed = any(lv.errors or lv.answers != args.answers for lv in levels)
    print("\nFAILED: some answers did not complete" if failed else "\nall answers completed")
    sys.exit(1 if failed else 0)


def _slots(backend: str) -> int:
    """0 for in-process, N for server:N."""
    if backend == "in-process":
        return 0
    name, _, slots = backend.partition(":")
    if name != "server" or not slots.isdigit() or int(slots) < 1:
        raise SystemExit(f"--backends: {backend!r} is neither in-process nor server:N")
    return int(slots)


@contextlib.contextmanager
def _backend(backend: str, settings, work: Path):
    """(label, settings) for one backend; a server is started for the block and stopped after."""
    from rag.model_files import resolve_model
    from rag.serving import plan_server, start_server, stop_server, wait_ready

    slots = _slots(backend)
    if not slots:
        yield "in-process", settings
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = plan_server(resolve_model(settings.model, settings.cache_dir), port=port, parallel=slots,
                       n_ctx=settings.n_ctx, n_threads=settings.n_threads, flash_attn=settings.flash_attn)
    with (work / f"server-{slots}.log").open("wb") as log:
        process = start_server(plan, log)
    try:
        wait_ready(plan, process, timeout_s=300)
        yield f"{plan.engine}, {slots} slot{'s' if slots > 1 else ''}", settings.replace(model=plan.model_setting)
    finally:
        stop_server(process)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--reader":
        reader_main(sys.argv[2:])
    else:
        main()
