"""The window a brief or a story list covers, from ``since`` (a date or an interval back from
today, such as 7d) or ``from``/``to`` (inclusive days): `window_of`, shared by the CLI and the API.

Bad input raises ValueError naming the value; the CLI and the API turn it into their own errors.
Not here: what a brief does with its window (rag.stories.brief).
"""
from __future__ import annotations

from datetime import date, timedelta

from rag.settings import parse_interval

DEFAULT_SINCE = "7d"


def window_of(since: str | None, first: str | None, last: str | None, today: date | None = None) -> tuple[str, str]:
    """(first day, day after the last) from ``since`` or ``first``/``last`` (YYYY-MM-DD, inclusive)."""
    today = today or date.today()
    if first or last:
        start = _day(first, "from") if first else date.min
        end = _day(last, "to") if last else None
        if end is not None and start > end:
            raise ValueError(f"from ({start}) is after to ({end})")
        return start.isoformat(), (end + timedelta(days=1)).isoformat() if end else "9999-12-31"
    since = (since or DEFAULT_SINCE).strip()
    try:
        start_day = date.fromisoformat(since)
    except ValueError:
        try:
            start_day = today - timedelta(days=max(1, parse_interval(since) // 86400) - 1)
        except (ValueError, OverflowError):  # "1e9d" overflows a date, "infd" an int
            raise ValueError(f"since is not a date (YYYY-MM-DD) or an interval like 7d: {since[:40]!r}") from None
    return start_day.isoformat(), (today + timedelta(days=1)).isoformat()


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not a date (YYYY-MM-DD): {value[:40]!r}") from None
