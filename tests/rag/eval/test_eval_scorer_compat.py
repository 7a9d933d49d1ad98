"""Our metrics agree with the benchmark's own scorer, run as a separate program on our files.

The scorer is only executed (never imported or copied). ../shared/bench comes from the `shared_bench`
fixture (tests/conftest.py): a developer machine without it skips these tests, CI fails them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.eval.benchmark import EvalOptions, run_eval
from rag.eval.metrics import score
from rag.eval.questions import load_questions
from rag.eval.results import read_results

SHARED = ("accuracy", "cited_accuracy", "abstain_rate")


def scorer(bench: Path, questions: Path, results: Path, k: int) -> dict:
    done = subprocess.run([sys.executable, str(bench / "score.py"), str(questions), str(results), "--k", str(k),
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_agree(bench: Path, questions: Path, results: Path, k: int) -> dict:
    theirs = scorer(bench, questions, results, k)
    ours, _ = score(load_questions(questions), read_results(results), ks=(k,))
    mine = ours.as_dict()
    for key in (*SHARED, f"doc_recall@{k}", f"text_recall@{k}"):
        assert mine[key] == pytest.approx(theirs[key], abs=1e-4), key
    if "latency_p50_s" in theirs:
        assert mine["latency_p50_s"] == pytest.approx(theirs["latency_p50_s"], abs=1e-3)
    assert ours.answered <= theirs["answered"]  # they count failed lines as answered; we do not
    return theirs


def test_hand_made_answers_score_the_same(tmp_path, shared_bench, write_jsonl):
    questions = write_jsonl(tmp_path / "q.jsonl", [
        {"id": "a", "question": "?", "answer": "Joe Biden", "distractors": ["Hunter Biden", "Jill Biden"],
         "answer_doc_ids": ["d1"]},
        {"id": "b", "question": "?", "answer": "$10 billion", "distractors": ["$100 billion", "$35 billion"],
         "answer_doc_ids": ["d2"]},
        {"id": "c", "question": "?", "answer": "The Supreme Court of India", "distractors": ["The High Court of Delhi"],
         "answer_doc_ids": ["d3"]},
        {"id": "d", "question": "?", "answer": "Philippines", "distractors": ["Indonesia"], "answer_doc_ids": ["d4"]},
        {"id": "e", "question": "?", "answer": "Bahamas", "distractors": ["Maldives"], "answer_doc_ids": ["d5"]},
        {"id": "f", "question": "?", "answer": "Oslo", "distractors": ["Bergen"], "answer_doc_ids": ["d6"]},
        {"id": 7, "question": "?", "answer": "Ten", "distractors": ["Eleven"], "answer_doc_ids": ["d7"]},
    ])
    def r(qid, answer, cited="", retrieved=(), abstained=False, latency=1.0):
        return {"id": qid, "answer": answer, "abstained": abstained, "latency_s": latency,
                "citations": [{"doc_id": "x", "text": cited}] if cited else [],
                "retrieved": [{"doc_id": d, "text": t} for d, t in retrieved]}
    results = write_jsonl(tmp_path / "r.jsonl", [
        r("a", "Biden, Joe [1].", cited="Joe Biden said", retrieved=[("x", ""), ("d1", "Joe Biden")]),
        r("b", "It cost $100 billion.", retrieved=[("d2", "cost 100 billion")], latency=3.5),
        r("c", "The Supreme Court.", cited="the supreme court of india ruled", retrieved=[("z", "")] * 3 + [("d3", "")]),
        r("d", "Philippines", abstained=True, latency=0.2),
        r("e", "“Bahamas” and not the Maldives", retrieved=[("d5", "BAHAMAS")]),
        {"id": "f", "answer": "", "error": "ModelError: boom", "latency_s": None, "citations": [], "retrieved": []},
        r(7, "ten", cited="Ten people", latency=2.0),
    ])
    theirs = assert_agree(shared_bench, questions, results, k=3)
    assert theirs["accuracy"] == pytest.approx(3 / 7, abs=1e-4)


def test_real_benchmark_questions_with_made_up_answers_score_the_same(tmp_path, shared_bench, write_jsonl):
    source = shared_bench / "rtqa-small" / "questions.jsonl"
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()[:40] if line.strip()]
    questions = write_jsonl(tmp_path / "q.jsonl", rows)
    results = []
    for i, q in enumerate(rows):
        gold, wrong = q["answer"], (q.get("distractors") or ["nothing"])[0]
        answer = [f"It is {gold} [1].", wrong, f"{gold} or {wrong}", gold.split()[0], f"Not {gold.lower()}!",
                  ""][i % 6]
        if i % 7 == 6:
            continue  # a missing result
        passages = [{"doc_id": "other", "text": "unrelated"}, {"doc_id": q["answer_doc_ids"][0], "text": gold}]
        results.append({"id": q["id"], "answer": answer, "abstained": i % 11 == 10, "latency_s": 1 + i % 5,
                        "citations": [{"doc_id": "x", "text": f"says {gold}" if i % 2 else "nothing"}],
                        "retrieved": passages[:: 1 if i % 3 else -1]})
    path = write_jsonl(tmp_path / "r.jsonl", results)
    for k in (1, 5):
        assert_agree(shared_bench, questions, path, k)


def test_a_results_file_from_an_eval_run_is_scoreable_as_is(tmp_path, shared_bench, eval_settings, corpus,
                                                            questions, fake_build, write_jsonl):
    # The scorer reads one gold string per question: keep the questions that have exactly that.
    rows = [json.loads(line) for line in questions.read_text().splitlines()]
    gold_only = write_jsonl(tmp_path / "gold.jsonl", [q for q in rows if isinstance(q.get("answer"), str)])
    run = tmp_path / "run"
    run_eval(EvalOptions(gold_only, run, corpus, progress=False), eval_settings, build=fake_build())
    theirs = assert_agree(shared_bench, gold_only, run / "results.jsonl", k=3)
    assert theirs["accuracy"] == pytest.approx(2 / 3, abs=1e-4) and theirs["answered"] == 3
