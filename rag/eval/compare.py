"""Compare two runs: per-metric deltas and the questions that flipped between right and wrong.

A run is a run folder (holding results.jsonl) or a results file. Both runs are scored from their
own results lines (each carries its question's gold fields), on the questions both answered, so a
half-finished run compares fairly with a finished one. Besides the deltas, the flips are tested
(exact McNemar, rag.eval.paired) overall and per year the questions were asked, for accuracy and
cited accuracy. Not here: running anything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.eval.formatting import fmt, short
from rag.eval.metrics import DEFAULT_KS, Metrics, score
from rag.eval.paired import PairedTest, paired_tests
from rag.eval.questions import question_from_result
from rag.eval.results import read_results

RESULTS_FILE = "results.jsonl"


@dataclass(frozen=True)
class Flip:
    id: str
    question: str
    gold: str
    answer_a: str
    answer_b: str


@dataclass(frozen=True)
class Comparison:
    run_a: Path
    run_b: Path
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    common: int
    metrics_a: Metrics
    metrics_b: Metrics
    fixed: tuple[Flip, ...]  # wrong in A, right in B
    broken: tuple[Flip, ...]  # right in A, wrong in B
    paired: tuple[PairedTest, ...] = ()

    def deltas(self) -> list[tuple[str, Any, Any, float | None]]:
        a, b = self.metrics_a.as_dict(), self.metrics_b.as_dict()
        rows = []
        for key in a:
            if key in ("questions", "answered", "with_gold"):
                continue
            va, vb = a[key], b.get(key)
            rows.append((key, va, vb, round(vb - va, 4) if va is not None and vb is not None else None))
        return rows


def results_path(run: Path) -> Path:
    run = Path(run)
    path = run / RESULTS_FILE if run.is_dir() else run
    if not path.is_file():
        raise InputError(run, f"no {RESULTS_FILE} here: give a run folder or a results file")
    return path


def compare(run_a: Path, run_b: Path) -> Comparison:
    path_a, path_b = results_path(run_a), results_path(run_b)
    res_a, res_b = read_results(path_a), read_results(path_b)
    common = [i for i in res_a if i in res_b]
    ks = sorted(set(DEFAULT_KS) | _top_k(path_a) | _top_k(path_b))
    questions = []
    for i in common:
        try:
            questions.append(question_from_result(res_a[i]))
        except ValueError as exc:
            raise InputError(path_a, f"result {i!r}: {exc}") from None
    metrics_a, judged_a = score(questions, res_a, ks)
    metrics_b, judged_b = score(questions, res_b, ks)
    fixed, broken = [], []
    for q, ja, jb in zip(questions, judged_a, judged_b):
        if ja.correct is None or ja.correct == jb.correct:
            continue
        flip = Flip(q.id, q.question, " / ".join(q.answers), _said(res_a[q.id]), _said(res_b[q.id]))
        (fixed if jb.correct else broken).append(flip)
    return Comparison(Path(run_a), Path(run_b), tuple(i for i in res_a if i not in res_b),
                      tuple(i for i in res_b if i not in res_a), len(common), metrics_a, metrics_b,
                      tuple(fixed), tuple(broken), paired_tests(questions, judged_a, judged_b))


def format_comparison(c: Comparison) -> str:
    lines = [f"A: {c.run_a}", f"B: {c.run_b}", f"compared on the {c.common} questions both runs answered"]
    if c.only_a or c.only_b:
        lines.append(f"(left out: {len(c.only_a)} only in A, {len(c.only_b)} only in B)")
    lines += ["", f"{'metric':<22}{'A':>10}{'B':>10}{'B - A':>10}"]
    for key, va, vb, delta in c.deltas():
        lines.append(f"{key:<22}{fmt(va):>10}{fmt(vb):>10}{fmt(delta, signed=True):>10}")
    if c.paired:
        lines += ["", "paired test: exact McNemar on the questions that flipped (two-sided p)",
                  f"{'measure':<16}{'group':<9}{'n':>5}{'A right':>9}{'B right':>9}"
                  f"{'wrong->right':>14}{'right->wrong':>14}{'p':>9}"]
        for t in c.paired:
            lines.append(f"{t.measure:<16}{t.group:<9}{t.questions:>5}{t.right_a:>9}{t.right_b:>9}"
                         f"{t.fixed:>14}{t.broken:>14}{t.p_value:>9.4f}")
    for title, flips in (("wrong in A, right in B", c.fixed), ("right in A, wrong in B", c.broken)):
        lines += ["", f"{len(flips)} {title}:"]
        for f in flips:
            lines.append(f"  {f.id}: {short(f.question, 90)}")
            lines.append(f"      gold: {short(f.gold, 60)}")
            lines.append(f"      A: {short(f.answer_a, 100)}")
            lines.append(f"      B: {short(f.answer_b, 100)}")
    return "\n".join(lines)


def _top_k(results: Path) -> set[int]:
    """The run's top-k from the config.json beside its results, so recall@top_k is compared."""
    try:
        config = json.loads((results.parent / "config.json").read_text(encoding="utf-8"))
        return {int(config["top_k"])}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _said(result: dict[str, Any]) -> str:
    if result.get("error"):
        return f"(failed: {result['error']})"
    return ("(abstained) " if result.get("abstained") else "") + str(result.get("answer") or "")
