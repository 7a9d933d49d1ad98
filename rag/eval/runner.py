"""Run questions through a pipeline and append each result to a JSONL file as it finishes.

Resumable: ids that already have a result in the file are skipped (a failed one is retried), and
every line is flushed to disk before the next question starts, so a killed run loses at most the
question in flight and the same command picks up where it stopped. A progress bar shows the
running accuracy over everything answered so far. A question's date (``asked_on``) is passed
on as the pipeline's as-of date unless switched off. Not here: building the app or the index
(rag.eval.benchmark), or the metrics (rag.eval.metrics).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from index.errors import NewsragError
from rag.eval.questions import Question
from rag.eval.results import append_line, error_line, read_results, result_line
from rag.records import Answer

Ask = Callable[..., Iterator["str | Answer"]]  # Pipeline.stream or NaivePipeline.stream

# This many failures in a row means something systemic (a missing model, a broken store), not one
# awkward question: stop rather than write a failure line for every remaining question.
MAX_FAILURES_IN_A_ROW = 3


@dataclass(frozen=True)
class RunSummary:
    questions: int
    skipped: int  # already in the results file
    answered: int  # answered by this run
    failed: int  # failed in this run (written with an "error"; retried on resume)
    seconds: float


def pending(questions: Sequence[Question], results: dict[str, dict[str, Any]]) -> list[Question]:
    """The questions still to run: no result yet, or only a failed one."""
    return [q for q in questions if q.id not in results or results[q.id].get("error")]


def run_questions(ask: Ask, questions: Sequence[Question], results_path: Path, *,
                  progress: bool = True, dates: bool = True) -> RunSummary:
    """Answer the questions not yet in ``results_path``, appending each result as it comes.

    With ``dates``, a question's ``asked_on`` goes to the pipeline as ``as_of``: the question is
    answered about the news as of the day it was asked, as a reader on that day would ask it.
    """
    started = time.perf_counter()
    results_path = Path(results_path)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    previous = read_results(results_path, repair=True)
    todo = pending(questions, previous)
    wanted = {q.id for q in questions}
    marks = [r.get("correct") for i, r in previous.items() if i in wanted and not r.get("error")]
    right, judged = sum(m is True for m in marks), sum(m is not None for m in marks)

    from tqdm import tqdm

    bar = tqdm(total=len(questions), initial=len(questions) - len(todo), desc="eval", unit="q",
               file=sys.stderr, disable=None if progress else True, dynamic_ncols=True)
    answered = failed = in_a_row = 0
    try:
        with results_path.open("a", encoding="utf-8") as f:
            for q in todo:
                try:
                    options = {"as_of": q.asked_on} if dates and q.asked_on else {}
                    line = result_line(q, _final(ask(q.question, **options)))
                except NewsragError as exc:
                    append_line(f, error_line(q, exc))
                    failed += 1
                    in_a_row += 1
                    if in_a_row >= MAX_FAILURES_IN_A_ROW:
                        raise
                else:
                    append_line(f, line)
                    answered += 1
                    in_a_row = 0
                    if line["correct"] is not None:
                        judged += 1
                        right += line["correct"]
                bar.update(1)
                if judged:
                    bar.set_postfix(acc=f"{right / judged:.2f}", failed=failed, refresh=False)
    finally:
        bar.close()
    return RunSummary(len(questions), len(questions) - len(todo), answered, failed,
                      time.perf_counter() - started)


def _final(stream: Iterator[str | Answer]) -> Answer:
    answer = None
    for item in stream:
        if isinstance(item, Answer):
            answer = item
    if answer is None:
        raise NewsragError("the pipeline ended without an answer")
    return answer
