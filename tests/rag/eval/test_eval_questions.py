"""Loading and validating question files (rag.eval.questions)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.eval.questions import Question, gold_fields, load_questions, question_from_result


def test_loads_all_optional_fields_and_ignores_unknown_keys(tmp_path: Path, write_jsonl):
    path = write_jsonl(tmp_path / "q.jsonl", [
        {"id": 7, "question": " Who? ", "answer": "Ann", "distractors": ["Bo"], "answer_doc_ids": ["d1"],
         "asked_on": "2023-05-18", "source": "CNN"},
        "",
        {"id": "b", "question": "Which?", "answer": ["X", "Ex"]},
        {"id": "c", "question": "Open question without gold"},
    ])
    qs = load_questions(path)
    assert qs[0] == Question("7", "Who?", ("Ann",), ("Bo",), ("d1",), "2023-05-18")
    assert qs[1].answers == ("X", "Ex") and qs[2].has_answer is False


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"question": "Who?"}', "'id'"),
    ('{"id": "x", "question": ""}', "'question'"),
    ('{"id": "x", "question": "Who?", "answer": 3}', "'answer' must be a string or a list"),
    ('{"id": "x", "question": "Who?", "answer": ["a", 1]}', "'answer' must be"),
    ('{"id": "x", "question": "Who?", "answer": "?!"}', "no letters or digits"),
    ('{"id": "x", "question": "Who?", "answer": "a", "distractors": "b"}', "'distractors' must be a list"),
    ('{"id": "x", "question": "Who?", "distractors": ["b"]}', "without an 'answer'"),
    ('{"id": "x", "question": "Who?", "answer_doc_ids": [""]}', "empty string"),
    ('{"id": "x", "question": "Who?", "asked_on": "last week"}', "not a date"),
    ('{"id": true, "question": "Who?"}', "'id'"),
])
def test_a_bad_line_names_the_file_and_line(tmp_path: Path, write_jsonl, line: str, problem: str):
    path = write_jsonl(tmp_path / "q.jsonl", ['{"id": "ok", "question": "Fine?"}', "", line])
    with pytest.raises(InputError) as info:
        load_questions(path)
    assert info.value.line == 3 and info.value.path == str(path)
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{path}:3: ")


def test_a_repeated_id_points_at_both_lines(tmp_path: Path, write_jsonl):
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "1?"}, {"id": "b", "question": "2?"},
                                              {"id": "a", "question": "3?"}])
    with pytest.raises(InputError, match=r"q\.jsonl:3: question id 'a' already used on line 1"):
        load_questions(path)


def test_missing_empty_and_binary_files(tmp_path: Path, write_jsonl):
    with pytest.raises(InputError, match="not found"):
        load_questions(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no questions"):
        load_questions(write_jsonl(tmp_path / "empty.jsonl", ["", "  "]))
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        load_questions(tmp_path / "bin.jsonl")


def test_gold_fields_round_trip_through_a_result_line():
    q = Question("q", "Who?", ("Gukesh", "Gukesh Dommaraju"), ("Ding",), ("d",), "2024-12-13")
    line = {"id": "q", "question": "Who?", "answer": "someone", **gold_fields(q)}
    assert "answer" in line and line["gold_answer"] == ["Gukesh", "Gukesh Dommaraju"]
    assert question_from_result(json.loads(json.dumps(line))) == q
    single = Question("s", "Who?", ("Ann",))
    assert gold_fields(single)["gold_answer"] == "Ann"
    assert question_from_result({"id": "s", "question": "Who?", **gold_fields(single)}) == single
