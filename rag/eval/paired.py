"""Paired comparison of two runs on the same questions: flips both ways and exact McNemar p-values.

A 1.5B model's answers flip on a quarter of the questions when the prompt changes, so a metric
delta alone cannot tell an improvement from noise. For each yes/no measure (accuracy, cited
accuracy) this counts the questions right in B only ("fixed") and right in A only ("broken"),
and tests them with the exact McNemar test: under "no difference" each flipped question is
equally likely to flip either way, so the two-sided p-value is twice the binomial tail
P(X <= min(fixed, broken)) for X ~ Binomial(fixed + broken, 1/2), capped at 1. Questions that
did not flip carry no information about the difference and are left out of the test.

Everything is reported overall and per group of questions by the year they were asked
(``asked_on``): rtqa-dev's two halves are its 2022 and its 2023 questions, and a change is kept
only when it wins on both. Not here: judging answers (rag.eval.metrics) or printing (rag.eval.compare).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Sequence

from index.records import day_of
from rag.eval.metrics import Judged
from rag.eval.questions import Question

MEASURES = ("accuracy", "cited_accuracy")
ALL = "all"
UNDATED = "undated"


@dataclass(frozen=True)
class PairedTest:
    """One measure on one group of questions: how often each run was right, and the flips."""

    measure: str  # "accuracy" or "cited_accuracy"
    group: str  # "all", a year like "2023", or "undated"
    questions: int  # questions of the group with a gold answer
    right_a: int
    right_b: int
    fixed: int  # wrong in A, right in B
    broken: int  # right in A, wrong in B

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.fixed, self.broken)


def mcnemar_exact(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value on the discordant pairs (1.0 when nothing flipped)."""
    if fixed < 0 or broken < 0:
        raise ValueError(f"flip counts must not be negative: {fixed}, {broken}")
    n = fixed + broken
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(fixed, broken) + 1))
    # Exact integer arithmetic up to the one division: no rounding in the tail sum.
    return min(1.0, 2 * tail / 2**n)


def group_of(q: Question) -> str:
    """The question's group: the year of its asked_on date, or "undated"."""
    day = day_of(q.asked_on)
    return str(day.year) if day else UNDATED


def paired_tests(questions: Sequence[Question], judged_a: Sequence[Judged],
                 judged_b: Sequence[Judged]) -> tuple[PairedTest, ...]:
    """Per measure: the test over all questions, then one per group in sorted order (when there
    are two groups or more).

    The three sequences are aligned (the same question at the same position).
    """
    if not len(questions) == len(judged_a) == len(judged_b):
        raise ValueError(f"unaligned: {len(questions)} questions, {len(judged_a)} and {len(judged_b)} results")
    groups = sorted({group_of(q) for q in questions})
    groups = groups if len(groups) > 1 else []  # one group would only repeat "all"
    out = []
    for measure in MEASURES:
        for group in [ALL, *groups]:
            pairs = [(_mark(a, measure), _mark(b, measure)) for q, a, b in zip(questions, judged_a, judged_b)
                     if group in (ALL, group_of(q))]
            pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
            out.append(PairedTest(measure, group, len(pairs), sum(a for a, _ in pairs), sum(b for _, b in pairs),
                                  sum(not a and b for a, b in pairs), sum(a and not b for a, b in pairs)))
    return tuple(out)


def _mark(j: Judged, measure: str) -> bool | None:
    return j.correct if measure == "accuracy" else j.cited_correct
