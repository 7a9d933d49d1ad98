"""Query latency for the example question: newsrag against a naive prompt, side by side.

    .venv/bin/python bench/query.py [--runs 5] [--model qwen2.5-1.5b] [--corpus EXTRA.jsonl]

newsrag: hybrid retrieval, sentence-window evidence within `context_chars`, short answer.
naive: the same retrieval's top 4 chunks widened to 1,000 characters each, pasted whole into the
prompt. Before every measured run llama.cpp's prompt cache is emptied, so both pay for their whole
prompt (in a chat, newsrag's fixed system prompt would be cached: its figures are conservative).
Models load in a warm-up round first; timings are medians over the runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.records import Answer  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402

QUESTION = "Which firms are pooling chip R&D?"
OTHER = "What does Beijing offer startups and universities?"
NAIVE_SYSTEM = "Answer the question using the passages below and cite them like [1]."


def run_newsrag(app, question: str = QUESTION) -> dict[str, float]:
    answer = None
    for item in app.pipeline.stream(question):
        if isinstance(item, Answer):
            answer = item
    assert answer is not None and not answer.abstained, answer
    return {"retrieval": answer.timings["retrieval"], "first_token": answer.timings["first_token"],
            "total": answer.timings["total"], "tokens": answer.tokens,
            "prompt_chars": 0}


def run_naive(app, question: str = QUESTION) -> dict[str, float]:
    started = time.perf_counter()
    passages = app.retriever.retrieve(question, top_k=4, mode="dense")
    retrieved = time.perf_counter() - started
    blocks = []
    for n, p in enumerate(passages, start=1):
        text = app.store.document_text(p.doc_id) or p.text
        blocks.append(f"[{n}] {text[p.start : p.start + 1000]}")
    messages = [{"role": "system", "content": NAIVE_SYSTEM},
                {"role": "user", "content": "\n\n".join(blocks) + f"\n\nQuestion: {question}"}]
    first = None
    tokens = 0
    for _ in app.pipeline.generator.stream(messages):
        tokens += 1
        if first is None:
            first = time.perf_counter() - started
    return {"retrieval": retrieved, "first_token": first or 0.0, "total": time.perf_counter() - started,
            "tokens": tokens, "prompt_chars": sum(len(b) for b in blocks)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", default="qwen2.5-1.5b")
    ap.add_argument("--corpus", type=Path, action="append", default=[], help="extra articles to index")
    ap.add_argument("--data-dir", type=Path, help="reuse an index between runs")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: one per core)")
    args = ap.parse_args()
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="newsrag-query-"))
    settings = load_settings({}, data_dir=data, model=args.model, n_threads=args.threads)
    app = build(settings)
    app.index_shipped_corpus()
    if args.corpus:
        app.ingestor.add(args.corpus)
    docs, chunks = app.store.counts()
    run_newsrag(app, OTHER)  # warm-up: loads the embedder and the model
    ours, naive = [], []
    model = app.pipeline.generator
    for _ in range(args.runs):
        model.forget_prompt_cache()
        ours.append(run_newsrag(app))
        model.forget_prompt_cache()
        naive.append(run_naive(app))

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"index: {docs} documents, {chunks} chunks; model {args.model}, {args.threads or 'all'} threads; "
          f"{args.runs} runs each, medians")
    print(f"{'':24}{'newsrag':>10}{'naive':>10}{'ratio':>8}")
    for key, label in (("retrieval", "retrieval s"), ("first_token", "first token s"), ("total", "total s"),
                       ("tokens", "tokens generated")):
        a, b = med(ours, key), med(naive, key)
        print(f"{label:24}{a:10.2f}{b:10.2f}{(a / b if b else float('nan')):8.2f}")
    print(f"naive prompt passages: {med(naive, 'prompt_chars'):.0f} chars; newsrag evidence budget: "
          f"{settings.context_chars} chars")


if __name__ == "__main__":
    main()
