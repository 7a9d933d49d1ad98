"""Retrieval alone, side by side: hybrid, dense and keyword, with and without question dates.

    .venv/bin/python bench/retrievers.py QUESTIONS.jsonl --corpus CORPUS.jsonl [--k 5]

No language model runs, so every question of a benchmark is measured in a minute or two. Uses the
same index `newsrag eval --corpus` builds (and builds it if missing). Prints doc_recall@k,
text_recall@k (a retrieved passage itself contains the gold answer) and MRR by answer text, and
the median retrieval time, for each retriever.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.eval.benchmark import eval_index_dir, index_corpus  # noqa: E402
from rag.eval.judge import contains_gold  # noqa: E402
from rag.eval.questions import load_questions  # noqa: E402
from rag.settings import RETRIEVERS, load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()
    base = load_settings(os.environ)
    settings = base.replace(data_dir=eval_index_dir(base, args.corpus), index_corpus_on_first_run=False)
    app = build(settings)
    index_corpus(app, args.corpus, progress=True)
    questions = [q for q in load_questions(args.questions) if q.has_answer]
    vectors = app.embedder.embed([q.question for q in questions])

    print(f"{len(questions)} questions, k={args.k}, index of {app.store.counts()[1]} chunks")
    print(f"{'retriever':10}{'dates':>7}{'doc_recall':>12}{'text_recall':>13}{'text_MRR':>10}{'p50 ms':>9}")
    for mode in RETRIEVERS:
        for dates in (True, False):
            doc_hits = text_hits = 0
            rr = 0.0
            times = []
            for q, vec in zip(questions, vectors):
                t = time.perf_counter()
                passages = app.retriever.retrieve(q.question, top_k=args.k, mode=mode, query_vector=vec,
                                                  as_of=q.asked_on if dates else None)
                times.append(time.perf_counter() - t)
                doc_hits += any(p.doc_id in q.answer_doc_ids for p in passages)
                ranks = [i for i, p in enumerate(passages, start=1) if contains_gold(p.text, q.answers)]
                text_hits += bool(ranks)
                rr += 1.0 / ranks[0] if ranks else 0.0
            n = len(questions)
            print(f"{mode:10}{'yes' if dates else 'no':>7}{doc_hits / n:12.3f}{text_hits / n:13.3f}"
                  f"{rr / n:10.3f}{statistics.median(times) * 1000:9.1f}")


if __name__ == "__main__":
    main()
