"""The results file: one JSON object per question, appended as each question finishes.

A line is a superset of what the benchmark scorer reads (id, answer, abstained, citations with
passage text, retrieved passages best first, latency_s), plus each passage's publication date,
the answer's sentences and their citation numbers, timings, tokens, a ``correct`` flag and the
question's gold fields, so a results file can be scored and compared on its own. ``answer`` is
the answer's text without its citation markers (those are in ``citations`` and
``answer_marked``): a scorer reading "$19 million [1]" would otherwise count the marker as the
number 1. A question that failed is written with an ``error`` and is run again on resume.
Not here: running questions or aggregating metrics.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.markers import without_markers
from rag.eval.judge import accurate
from rag.eval.questions import Question, gold_fields
from rag.records import Answer


def result_line(q: Question, answer: Answer) -> dict[str, Any]:
    t = answer.timings
    plain = without_markers(answer.text)
    line: dict[str, Any] = {
        "id": q.id,
        "question": q.question,
        "answer": plain,
        "answer_marked": answer.text,
        "abstained": answer.abstained,
        "correct": None,
        "citations": [
            {"number": c.number, "doc_id": c.passage.doc_id, "chunk_id": c.passage.chunk_id,
             "title": c.passage.title, "published": c.passage.published, "text": c.passage.text,
             "span": c.span,
             "span_start": c.span_start, "span_end": c.span_end}
            for c in answer.citations
        ],
        "sentences": [{"text": s.text, "citations": list(s.citations), "supported": s.supported}
                      for s in answer.sentences],
        "retrieved": [
            {"rank": rank, "doc_id": p.doc_id, "chunk_id": p.chunk_id, "score": round(p.score, 6),
             "dense_score": None if p.dense_score is None else round(p.dense_score, 4),
             "title": p.title, "published": p.published, "text": p.text}
            for rank, p in enumerate(answer.passages, start=1)
        ],
        "latency_s": round(t.get("total", 0.0), 4),
        "first_token_s": round(t.get("first_token", t.get("total", 0.0)), 4),
        "retrieval_s": round(t.get("retrieval", 0.0), 4),
        "timings": {k: round(v, 4) for k, v in t.items()},  # every stage the pipeline timed
        "tokens": answer.tokens,
        "model": answer.model,
        **gold_fields(q),
    }
    if q.has_answer:
        line["correct"] = accurate(plain, q.answers, q.distractors) and not answer.abstained
    return line


def error_line(q: Question, error: Exception) -> dict[str, Any]:
    # latency_s is null so the scorer leaves the failure out of its latency median.
    return {"id": q.id, "question": q.question, "answer": "", "abstained": False, "correct": None,
            "citations": [], "sentences": [], "retrieved": [], "latency_s": None,
            "error": f"{type(error).__name__}: {error}", **gold_fields(q)}


def read_results(path: Path, *, repair: bool = False) -> dict[str, dict[str, Any]]:
    """The results in ``path`` by id (a later line for an id wins, as with the scorer).

    A killed run can leave a last line cut short. With ``repair`` that fragment is cut off the
    file, so that appending goes on from a clean line; otherwise it is ignored. A bad line
    anywhere else raises InputError.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    lines = data.split(b"\n")
    for line_no, raw in enumerate(lines, start=1):
        last = line_no == len(lines)
        if raw.strip():
            try:
                obj = json.loads(raw.decode("utf-8"))
                if not isinstance(obj, dict) or "id" not in obj:
                    raise ValueError("not a result object with an 'id'")
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                if not last:
                    raise InputError(path, f"not a valid result line: {exc}", line_no) from None
                if repair:
                    with path.open("r+b") as f:
                        f.truncate(offset)
                break
            out[str(obj["id"])] = obj
            if last and repair:  # complete, but with no newline: end it before appending
                with path.open("ab") as f:
                    f.write(b"\n")
        offset += len(raw) + 1
    return out


def append_line(f, line: dict[str, Any]) -> None:
    """Write one result and push it to disk, so a killed run loses at most the question in flight."""
    f.write(json.dumps(line, ensure_ascii=False) + "\n")
    f.flush()
    os.fsync(f.fileno())
