"""What an as-of date does to retrieval when the question itself names no time.

`AsOfRule` takes the fused candidates and the as-of day: articles published more than
``grace_days`` after it are left out (a reader on that day could not have read them; -1 keeps
them), and, when ``half_days`` > 0, older articles' scores are divided by ``1 + age/half_days``.
``current_weight`` > 0 makes the CURRENT_DAYS up to the as-of day a preferred window, as a time
expression's is (rag.retrieval merges the two rankings; `current_window` gives the days).
The defaults in rag.settings are justified in docs/decisions.md ("The as-of rule"): chosen on the 2022
questions of rtqa-dev, reported on its 2023 questions and on rtqa-small. Without an as-of date
nothing here runs: retrieval is neutral about age. Not here: windows named by the question
(rag.timeexpr).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from index.records import Passage, day_of
from rag.timeexpr import LAG_DAYS, TimeWindow

# "Now" for retrieval and for the reader alike (rag.evidence puts these days' reports first).
CURRENT_DAYS = 30


def as_of_day(as_of: str | None) -> date | None:
    """The day an as-of string names ("2024-03-05", or a date-time), None without one;
    ValueError naming a string that names no day."""
    day = day_of(as_of)
    if as_of and day is None:
        raise ValueError(f"as_of must be an ISO date (YYYY-MM-DD), got {as_of!r}")
    return day


@dataclass(frozen=True)
class AsOfRule:
    """``as_of_grace_days``, ``as_of_half_days`` and ``as_of_current_weight`` of `Settings`, which
    holds their defaults."""

    grace_days: int
    half_days: float
    current_weight: float = 0.0

    def current_window(self, day: date) -> TimeWindow | None:
        """The days a question with no time expression prefers: the CURRENT_DAYS up to ``day``, and
        LAG_DAYS after it as any window (the next days' reports of the same events); None when
        ``current_weight`` is 0."""
        if self.current_weight <= 0:
            return None
        return TimeWindow(day - timedelta(days=CURRENT_DAYS), day + timedelta(days=1 + LAG_DAYS), "recently")

    def apply(self, ranked: list[tuple[int, float]], passages: dict[int, Passage],
              day: date) -> list[tuple[int, float]]:
        out = []
        for rank, (chunk_id, score) in enumerate(ranked):
            passage = passages.get(chunk_id)
            published = day_of(passage.published) if passage else None
            if published is None:
                out.append((chunk_id, score, rank))
                continue
            age = (day - published).days
            if self.grace_days >= 0 and age < -self.grace_days:
                continue
            if self.half_days > 0:
                score = score / (1.0 + max(age, 0) / self.half_days)
            out.append((chunk_id, score, rank))
        out.sort(key=lambda item: (-item[1], item[2]))
        return [(chunk_id, score) for chunk_id, score, _ in out]
