"""The eval with the real embedder and the tiny SmolLM2 model on three benchmark questions.

The corpus is cut down to the articles those questions need plus a few others, written to
tmp_path, so indexing takes seconds. The naive baseline runs on the same index. ../shared/bench comes
from the `shared_bench` fixture (tests/conftest.py).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.eval.benchmark import EvalOptions, naive_settings, run_eval
from rag.settings import load_settings

pytestmark = pytest.mark.integration


def test_three_benchmark_questions_with_real_models(tmp_path, shared_bench, write_jsonl):
    small = shared_bench / "rtqa-small"
    rows = [json.loads(line) for line in (small / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    wanted = {doc_id for q in rows for doc_id in q["answer_doc_ids"][:1]}
    articles, others = [], 0
    with (small / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if doc["id"] in wanted or others < 2:
                others += doc["id"] not in wanted
                articles.append(doc)
    corpus = write_jsonl(tmp_path / "corpus.jsonl", articles)
    questions = write_jsonl(tmp_path / "questions.jsonl", rows)
    settings = load_settings({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                             model="smollm2-135m", index_corpus_on_first_run=False, max_tokens=48,
                             # One thread: on a shared two-core machine two llama.cpp threads wait on
                             # each other and run several times slower.
                             n_threads=1)
    # The baseline keeps the index's chunking here, so it reuses the index instead of building another.
    naive = naive_settings(settings, {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap})

    for name, run_settings, is_naive in (("newsrag", settings, False), ("naive", naive, True)):
        run = tmp_path / name
        outcome = run_eval(EvalOptions(questions, run, corpus, naive=is_naive, progress=False), run_settings)
        assert outcome.summary.answered == 3 and outcome.summary.failed == 0
        lines = [json.loads(x) for x in (run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in lines] == [q["id"] for q in rows]
        assert all(r["retrieved"] and r["latency_s"] > 0 for r in lines)
        assert outcome.metrics.recall["doc_recall@5"] is not None
        assert (run / "report.png").stat().st_size > 1000 and "| accuracy |" in (run / "report.md").read_text()
        done = subprocess.run([sys.executable, str(shared_bench / "score.py"), str(questions),
                               str(run / "results.jsonl"), "--json"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        theirs = json.loads(done.stdout)
        assert theirs["answered"] == 3
        assert theirs["accuracy"] == pytest.approx(outcome.metrics.accuracy, abs=1e-4)
