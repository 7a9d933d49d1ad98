"""Comparing two runs (rag.eval.compare)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.eval.compare import compare, format_comparison

GOLD = {"q1": ("Iberian lynx", ["Red wolf"]), "q2": ("Grindavik", ["Vik"]), "q3": ("Gukesh", ["Ding Liren"]),
        "q4": ("Oslo", [])}


def line(qid: str, answer: str, latency: float, retrieved_gold: bool = True) -> dict:
    gold, distractors = GOLD[qid]
    text = f"... {gold} ..." if retrieved_gold else "nothing"
    return {"id": qid, "question": f"Question {qid}?", "answer": answer, "abstained": False,
            "citations": [], "sentences": [], "latency_s": latency, "first_token_s": latency / 2,
            "retrieved": [{"doc_id": f"doc-{qid}", "text": text}], "gold_answer": gold,
            "distractors": distractors, "answer_doc_ids": [f"doc-{qid}"], "asked_on": None}


def write_run(folder: Path, rows: list[dict], top_k: int | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if top_k:
        (folder / "config.json").write_text(json.dumps({"top_k": top_k}), encoding="utf-8")
    return folder


def test_deltas_and_flips(tmp_path: Path):
    a = write_run(tmp_path / "a", [line("q1", "Iberian lynx", 4.0), line("q2", "Vik", 6.0),
                                   line("q3", "Gukesh", 8.0, retrieved_gold=False), line("q4", "Oslo", 1.0)], top_k=4)
    b = write_run(tmp_path / "b", [line("q1", "Red wolf", 2.0), line("q2", "Grindavik", 3.0),
                                   line("q3", "Gukesh", 4.0)])
    c = compare(a, b)
    assert c.common == 3 and c.only_a == ("q4",) and c.only_b == ()
    assert [f.id for f in c.fixed] == ["q2"] and [f.id for f in c.broken] == ["q1"]
    deltas = {key: (va, vb, d) for key, va, vb, d in c.deltas()}
    assert deltas["accuracy"] == (pytest.approx(2 / 3, abs=1e-4), pytest.approx(2 / 3, abs=1e-4), 0.0)
    assert deltas["latency_p50_s"] == (6.0, 3.0, -3.0)
    assert deltas["text_recall@1"][2] == pytest.approx(1 / 3, abs=1e-4)
    assert "text_recall@4" in deltas  # the top-k from A's config.json

    text = format_comparison(c)
    assert "compared on the 3 questions both runs answered" in text
    assert "(left out: 1 only in A, 0 only in B)" in text
    assert "1 wrong in A, right in B:\n  q2: Question q2?\n      gold: Grindavik\n      A: Vik\n      B: Grindavik" in text
    assert "1 right in A, wrong in B:\n  q1:" in text
    assert any(row.startswith("latency_p50_s") and row.endswith("-3.000") for row in text.splitlines())


def test_failed_results_count_as_wrong_and_are_shown_as_failures(tmp_path: Path):
    a = write_run(tmp_path / "a", [line("q1", "Iberian lynx", 1.0)])
    failed = {**line("q1", "", 1.0), "error": "ModelError: boom", "latency_s": None}
    b = write_run(tmp_path / "b", [failed])
    c = compare(a, b)
    assert [f.answer_b for f in c.broken] == ["(failed: ModelError: boom)"]


def test_a_run_without_results_is_an_input_error(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no results.jsonl here"):
        compare(tmp_path / "empty", tmp_path / "empty")
