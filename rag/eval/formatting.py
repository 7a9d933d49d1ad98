"""How eval prints a number or a long answer, in reports and comparisons alike.

Not here: which numbers are shown (rag.eval.report, rag.eval.compare).
"""
from __future__ import annotations

from typing import Any


def fmt(value: Any, signed: bool = False) -> str:
    """A metric for a table: floats to three places (``signed`` shows the sign), None as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:+.3f}" if signed else f"{value:.3f}"
    return str(value)


def short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
