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


def dated(qid: str, gold: str, answer: str, asked_on: str | None, cites_gold: bool = False) -> dict:
    citations = [{"number": 1, "doc_id": f"doc-{qid}", "text": f"... {gold} ..."}] if cites_gold else []
    return {"id": qid, "question": f"Question {qid}?", "answer": answer, "abstained": False,
            "citations": citations, "sentences": [], "latency_s": 1.0, "first_token_s": 0.5,
            "retrieved": [], "gold_answer": gold, "distractors": [], "answer_doc_ids": [], "asked_on": asked_on}


def test_paired_test_per_year_of_asked_on_with_hand_computed_p_values(tmp_path: Path):
    # 2022: 6 questions wrong in A, right in B (3 of them citing the gold in B).
    # 2023: 1 wrong -> right, 4 right -> wrong; nothing cited in 2023.
    a_rows, b_rows = [], []
    for i in range(6):
        a_rows.append(dated(f"x{i}", f"Gold{i}", "nothing", "2022-06-17"))
        b_rows.append(dated(f"x{i}", f"Gold{i}", f"Gold{i}", "2022-06-17", cites_gold=i < 3))
    a_rows.append(dated("y0", "Alpha", "nothing", "2023-01-05"))
    b_rows.append(dated("y0", "Alpha", "Alpha", "2023-01-05"))
    for i in range(1, 5):
        a_rows.append(dated(f"y{i}", f"Beta{i}", f"Beta{i}", "2023-02-10"))
        b_rows.append(dated(f"y{i}", f"Beta{i}", "nothing", "2023-02-10"))
    c = compare(write_run(tmp_path / "a", a_rows), write_run(tmp_path / "b", b_rows))
    tests = {(t.measure, t.group): t for t in c.paired}
    assert list(tests) == [("accuracy", "all"), ("accuracy", "2022"), ("accuracy", "2023"),
                           ("cited_accuracy", "all"), ("cited_accuracy", "2022"), ("cited_accuracy", "2023")]
    # 2 * P(X <= 0), X ~ B(6, 1/2) = 2/64
    t = tests["accuracy", "2022"]
    assert (t.questions, t.right_a, t.right_b, t.fixed, t.broken) == (6, 0, 6, 6, 0)
    assert t.p_value == 0.03125
    # 2 * (C(5,0) + C(5,1)) / 2^5 = 12/32
    t = tests["accuracy", "2023"]
    assert (t.questions, t.right_a, t.right_b, t.fixed, t.broken) == (5, 4, 1, 1, 4)
    assert t.p_value == 0.375
    # 7 fixed, 4 broken: 2 * (1 + 11 + 55 + 165 + 330) / 2^11 = 1124/2048
    t = tests["accuracy", "all"]
    assert (t.fixed, t.broken) == (7, 4) and t.p_value == 0.548828125
    # cited: 3 fixed in 2022 only: 2/8; nothing flipped in 2023: p = 1
    assert (tests["cited_accuracy", "all"].fixed, tests["cited_accuracy", "all"].p_value) == (3, 0.25)
    assert tests["cited_accuracy", "2022"].p_value == 0.25
    assert (tests["cited_accuracy", "2023"].fixed, tests["cited_accuracy", "2023"].broken) == (0, 0)
    assert tests["cited_accuracy", "2023"].p_value == 1.0

    text = format_comparison(c)
    assert "paired test: exact McNemar on the questions that flipped (two-sided p)" in text
    rows = [row.split() for row in text.splitlines()]
    assert ["accuracy", "2022", "6", "0", "6", "6", "0", "0.0312"] in rows
    assert ["accuracy", "2023", "5", "4", "1", "1", "4", "0.3750"] in rows
    assert ["cited_accuracy", "all", "11", "0", "3", "3", "0", "0.2500"] in rows


def test_one_group_only_gives_no_per_group_rows_and_undated_questions_form_their_own(tmp_path: Path):
    a = write_run(tmp_path / "a", [dated("q1", "Gold", "nothing", None), dated("q2", "Gold", "Gold", None)])
    b = write_run(tmp_path / "b", [dated("q1", "Gold", "Gold", None), dated("q2", "Gold", "Gold", None)])
    assert [(t.measure, t.group) for t in compare(a, b).paired] == [("accuracy", "all"), ("cited_accuracy", "all")]
    c = write_run(tmp_path / "c", [dated("q1", "Gold", "nothing", "2023-03-01"), dated("q2", "Gold", "Gold", None)])
    assert [t.group for t in compare(c, b).paired if t.measure == "accuracy"] == ["all", "2023", "undated"]
