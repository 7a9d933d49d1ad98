"""Running questions and resuming a killed run (rag.eval.runner, rag.eval.results)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.eval.questions import Question
from rag.eval.results import read_results
from rag.eval.runner import run_questions
from rag.records import Answer, AnswerSentence

QS = [Question(f"q{i}", f"Question number {i}?", (f"answer{i}",)) for i in range(1, 6)]


class FakeAsk:
    """Answers "answer<i>" to question i; can fail or be "killed" on chosen questions."""

    def __init__(self, kill_after: int | None = None, fail: set[str] = frozenset()) -> None:
        self.asked: list[str] = []
        self.options: list[dict] = []
        self.kill_after = kill_after
        self.fail = fail

    def __call__(self, question: str, **options):
        if self.kill_after is not None and len(self.asked) == self.kill_after:
            raise KeyboardInterrupt
        self.asked.append(question)
        self.options.append(options)
        if question in self.fail:
            raise ModelError("prompt too long")
        n = question.split()[-1].rstrip("?")
        text = f"It is answer{n}."
        yield text
        yield Answer(question, text, (AnswerSentence(text, (), False),), (), (), False,
                     {"retrieval": 0.01, "first_token": 0.1, "total": 0.2}, 3, "fake")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_killed_run_keeps_finished_questions_and_the_rerun_does_only_the_rest(tmp_path: Path):
    out = tmp_path / "results.jsonl"
    first = FakeAsk(kill_after=2)
    with pytest.raises(KeyboardInterrupt):
        run_questions(first, QS, out, progress=False)
    assert [r["id"] for r in lines(out)] == ["q1", "q2"]

    second = FakeAsk()
    summary = run_questions(second, QS, out, progress=False)
    assert second.asked == [q.question for q in QS[2:]]
    assert (summary.skipped, summary.answered, summary.failed) == (2, 3, 0)
    assert [r["id"] for r in lines(out)] == ["q1", "q2", "q3", "q4", "q5"]
    assert all(r["correct"] is True for r in lines(out))


def test_prewritten_results_are_skipped_and_a_cut_off_last_line_is_dropped(tmp_path: Path):
    out = tmp_path / "results.jsonl"
    done = [{"id": "q1", "answer": "answer1", "correct": True}, {"id": "q3", "answer": "x", "correct": False}]
    out.write_text("".join(json.dumps(r) + "\n" for r in done) + '{"id": "q4", "answ', encoding="utf-8")
    ask = FakeAsk()
    run_questions(ask, QS, out, progress=False)
    assert ask.asked == ["Question number 2?", "Question number 4?", "Question number 5?"]
    assert [r["id"] for r in lines(out)] == ["q1", "q3", "q2", "q4", "q5"]


def test_a_last_line_without_newline_is_kept_and_ended(tmp_path: Path):
    out = tmp_path / "results.jsonl"
    out.write_text(json.dumps({"id": "q1", "answer": "answer1"}), encoding="utf-8")
    run_questions(FakeAsk(), QS[:2], out, progress=False)
    assert [r["id"] for r in lines(out)] == ["q1", "q2"]


def test_a_failed_question_is_recorded_then_retried_on_resume(tmp_path: Path):
    out = tmp_path / "results.jsonl"
    summary = run_questions(FakeAsk(fail={"Question number 2?"}), QS, out, progress=False)
    assert (summary.answered, summary.failed) == (4, 1)
    failed = read_results(out)["q2"]
    assert failed["error"].startswith("ModelError") and failed["latency_s"] is None
    retry = FakeAsk()
    run_questions(retry, QS, out, progress=False)
    assert retry.asked == ["Question number 2?"]
    assert "error" not in read_results(out)["q2"]  # the later line wins


def test_repeated_failures_stop_the_run(tmp_path: Path):
    out = tmp_path / "results.jsonl"
    every = {q.question for q in QS}
    with pytest.raises(ModelError):
        run_questions(FakeAsk(fail=every), QS, out, progress=False)
    assert len(lines(out)) == 3  # each failure was still written, so a resume retries them


def test_a_corrupt_line_in_the_middle_is_an_input_error(tmp_path: Path):
    from rag.errors import InputError

    out = tmp_path / "results.jsonl"
    out.write_text('{"id": "q1"}\nnot json\n{"id": "q2"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"results\.jsonl:2: "):
        run_questions(FakeAsk(), QS, out, progress=False)


def test_the_question_date_goes_to_the_pipeline_as_its_as_of_date(tmp_path: Path):
    dated = [Question("a", "Question number 1?", ("answer1",), asked_on="2023-05-18"),
             Question("b", "Question number 2?", ("answer2",))]
    ask = FakeAsk()
    run_questions(ask, dated, tmp_path / "with.jsonl", progress=False)
    assert ask.options == [{"as_of": "2023-05-18"}, {}]
    ask = FakeAsk()
    run_questions(ask, dated, tmp_path / "without.jsonl", progress=False, dates=False)
    assert ask.options == [{}, {}]
