"""Load and validate a question file: one JSON object per line.

Each line holds ``id`` (string or integer) and ``question`` (non-empty string), and optionally
``answer`` (a string or a list of accepted strings, the first being the canonical one),
``distractors`` (strings the answer must not name), ``answer_doc_ids`` (corpus ids whose text
contains the answer) and ``asked_on`` (an ISO date). Other keys are ignored. A bad line raises
`InputError` naming the file and line; so does a repeated id. Not here: running or scoring.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from index.records import day_of
from rag.errors import InputError
from rag.eval.judge import norm


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...] = ()  # accepted answers; empty when the file gives no gold answer
    distractors: tuple[str, ...] = ()
    answer_doc_ids: tuple[str, ...] = ()
    asked_on: str | None = None

    @property
    def has_answer(self) -> bool:
        return bool(self.answers)


def load_questions(path: Path) -> list[Question]:
    """All questions of ``path`` in file order; raises InputError on the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(path, "question file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    out: list[Question] = []
    first_line: dict[str, int] = {}
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc.msg} (column {exc.colno})", line_no) from None
        try:
            q = question_from(obj)
        except ValueError as exc:
            raise InputError(path, str(exc), line_no) from None
        if q.id in first_line:
            raise InputError(path, f"question id {q.id!r} already used on line {first_line[q.id]}", line_no)
        first_line[q.id] = line_no
        out.append(q)
    if not out:
        raise InputError(path, "no questions in the file")
    return out


def question_from(obj: Any) -> Question:
    """A Question from one parsed line (or a result's copied gold fields); ValueError if bad."""
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ValueError("'id' must be a non-empty string or an integer")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    answers = _strings(obj.get("answer"), "answer", allow_single=True)
    for a in answers:
        # An answer with no letters or digits would be "contained" in every text.
        if not norm(a).strip():
            raise ValueError(f"'answer' {a!r} has no letters or digits")
    distractors = _strings(obj.get("distractors"), "distractors")
    if distractors and not answers:
        raise ValueError("'distractors' given without an 'answer'")
    doc_ids = _strings(obj.get("answer_doc_ids"), "answer_doc_ids")
    asked_on = obj.get("asked_on")
    if asked_on is not None:
        if not isinstance(asked_on, str):
            raise ValueError("'asked_on' must be a date string like 2023-05-18 or null")
        if day_of(asked_on) is None:
            raise ValueError(f"'asked_on' {asked_on!r} is not a date like 2023-05-18")
    return Question(raw_id.strip(), question.strip(), answers, distractors, doc_ids, asked_on)


def gold_fields(q: Question) -> dict[str, Any]:
    """The gold facts copied into each result line, so a results file can be scored alone."""
    gold: Any = None if not q.answers else (q.answers[0] if len(q.answers) == 1 else list(q.answers))
    return {"gold_answer": gold, "distractors": list(q.distractors),
            "answer_doc_ids": list(q.answer_doc_ids), "asked_on": q.asked_on}


def question_from_result(result: Mapping[str, Any]) -> Question:
    """Rebuild a result's Question from its copied gold fields (see gold_fields)."""
    return question_from({"id": result.get("id"), "question": result.get("question") or "?",
                          "answer": result.get("gold_answer"), "distractors": result.get("distractors"),
                          "answer_doc_ids": result.get("answer_doc_ids"), "asked_on": result.get("asked_on")})


def _strings(value: Any, key: str, *, allow_single: bool = False) -> tuple[str, ...]:
    if value is None:
        return ()
    if allow_single and isinstance(value, str):
        value = [value]
    what = "a string or a list of strings" if allow_single else "a list of strings"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be {what}")
    out = tuple(v.strip() for v in value)
    if any(not v for v in out):
        raise ValueError(f"'{key}' holds an empty string")
    return out
