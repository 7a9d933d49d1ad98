"""What the API path costs against `newsrag ask`'s: the same questions, the same loaded models.

    .venv/bin/python bench/api_overhead.py [--model smollm2-135m] [--n 20] [--threads 1]
        [--questions ../shared/bench/rtqa-dev/questions.jsonl] [--corpus ../shared/bench/rtqa-dev/corpus.jsonl]
        [--distractors 40] [--cache-dir DIR]

One app (rag.wiring.build) over a fresh data directory. The corpus is small on purpose: the
articles the first ``--n`` questions cite (their ``answer_doc_ids``) plus ``--distractors`` other
articles of ``--corpus``, so most questions reach the model rather than being declined. Then the
questions are answered three times, one pass per path, each pass in the questions' order:

- ``ask``: in process, as ``newsrag ask --json`` does (`Pipeline.stream`, then `answer_json`);
- ``/api/ask``: POSTed to `newsrag serve`'s app (ui.serve.create_server: the page and every door),
  served by uvicorn on 127.0.0.1 in a thread of this process;
- ``/v1``: a non-streaming ``/v1/chat/completions`` to the same server.

Passes, not turns: llama.cpp reuses the evaluated prefix of the previous prompt, so asking one
question three times in a row would give the second and third paths its prompt for free; one
pass after another, every path follows a different question. A question asked once before the
passes (not timed) loads the models. Prints each path's p50 and total, their ratios to ``ask``, how
many answers are identical to ``ask``'s, and the load average (the machine may be shared).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "bench"


def small_corpus(corpus: Path, wanted: set[str], distractors: int, out: Path) -> int:
    """Write the wanted articles and the first ``distractors`` others of ``corpus`` to ``out``."""
    kept = 0
    with corpus.open(encoding="utf-8") as source, out.open("w", encoding="utf-8") as sink:
        for line in source:
            doc_id = json.loads(line)["id"]
            if doc_id in wanted or distractors > 0:
                distractors -= doc_id not in wanted
                sink.write(line)
                kept += 1
    return kept


@contextlib.contextmanager
def served(asgi):
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--n", type=int, default=20, help="the first N questions")
    ap.add_argument("--questions", type=Path, default=SHARED / "rtqa-dev" / "questions.jsonl")
    ap.add_argument("--corpus", type=Path, default=SHARED / "rtqa-dev" / "corpus.jsonl")
    ap.add_argument("--distractors", type=int, default=40, help="articles besides the cited ones")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (0: every core)")
    ap.add_argument("--cache-dir", type=Path)
    args = ap.parse_args()

    import httpx

    from rag.api.openai import SOURCES_HEADING
    from rag.eval.questions import load_questions
    from rag.records import Answer
    from rag.render_text import answer_json
    from rag.settings import load_settings
    from rag.wiring import build
    from ui.serve import create_server

    questions = load_questions(args.questions)[: args.n]
    work = Path(tempfile.mkdtemp(prefix="newsrag-api-overhead-"))
    corpus = work / "corpus.jsonl"
    kept = small_corpus(args.corpus, {d for q in questions for d in q.answer_doc_ids}, args.distractors, corpus)
    changes = {"cache_dir": args.cache_dir} if args.cache_dir else {}
    settings = load_settings({}, data_dir=work / "data", model=args.model, n_threads=args.threads,
                             index_corpus_on_first_run=False, **changes)
    app = build(settings)
    started = time.monotonic()
    report = app.ingestor.add([corpus])
    print(f"indexed {len(report.added)} of {kept} articles ({report.chunks} chunks) in "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr)

    abstained: list[bool] = []

    def in_process(text: str) -> str:
        answer = None
        for item in app.pipeline.stream(text):
            if isinstance(item, Answer):
                answer = item
        abstained.append(answer.abstained)
        return answer_json(answer)["answer"]

    times: dict[str, list[float]] = {"ask": [], "/api/ask": [], "/v1": []}
    answers: dict[str, list[str]] = {path: [] for path in times}
    with served(create_server(app, settings)) as url, httpx.Client(base_url=url, timeout=900) as client:
        paths = {
            "ask": in_process,
            "/api/ask": lambda text: client.post("/api/ask", json={"question": text}).raise_for_status()
            .json()["answer"],
            "/v1": lambda text: client.post("/v1/chat/completions", json={
                "model": "newsrag", "messages": [{"role": "user", "content": text}]}).raise_for_status()
            .json()["choices"][0]["message"]["content"].split(SOURCES_HEADING, 1)[0],
        }
        in_process("Which firms are pooling chip R&D?")  # loads the models, not timed
        load_before = os.getloadavg()[0]
        for path, ask in paths.items():
            for q in questions:
                t0 = time.perf_counter()
                answers[path].append(ask(q.question))
                times[path].append(time.perf_counter() - t0)
            print(f"{path}: {sum(times[path]):.1f} s", file=sys.stderr)
        load_after = os.getloadavg()[0]
    declined = sum(abstained[1:])  # the first is the warm-up question

    base_p50, base_total = statistics.median(times["ask"]), sum(times["ask"])
    print(f"\nAPI overhead: the first {len(questions)} questions of {args.questions.name}, model {args.model}, "
          f"{args.threads} llama.cpp thread(s); corpus: {len(report.added)} articles of {args.corpus} "
          f"(the cited ones and {args.distractors} others)")
    print(f"{'path':>10} {'p50 s':>7} {'total s':>8} {'p50 ratio':>10} {'total ratio':>12} {'same answer':>12}")
    for path in times:
        p50, total = statistics.median(times[path]), sum(times[path])
        same = sum(a.strip() == b.strip() for a, b in zip(answers[path], answers["ask"]))
        print(f"{path:>10} {p50:>7.2f} {total:>8.1f} {p50 / base_p50:>10.3f} {total / base_total:>12.3f} "
              f"{same:>6}/{len(questions)}")
    print(f"load average {load_before:.1f} before the passes, {load_after:.1f} after; "
          f"{declined} of {len(questions)} declined")


if __name__ == "__main__":
    main()
