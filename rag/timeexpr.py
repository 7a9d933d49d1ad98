"""Time expressions in questions ("this week", "yesterday", "in March 2024", "last month"),
resolved against an as-of date into the window of publication dates they ask about.

`resolve_window(question, as_of)` returns a `TimeWindow` (first day, day after the last, and the
words that set it) or None. A window named relative to the as-of date ("last week", "yesterday",
"on Tuesday") runs up to the as-of date, since the news about last week's event goes on this week. Only expressions that restrict *when the news was published* count:
"this week", "yesterday", "today", "on Tuesday", "last/this/past month|year|week", "in the past N
days", "in|during March [2024]", "in 2023", "on March 5[, 2024]". A date that names the subject
rather than the time of the reporting ("the January 6, 2021 attack", "the 2024 election", "by
2030") sets no window, nor does a year or month after the as-of date. Each window ends a few days
after its nominal end (``LAG_DAYS``), since reports of an event carry the next days' dates.

Hand-written patterns, not dateparser: dateparser.search_dates on the 300 rtqa-dev questions
took 1.4 s to warm up and read "a $3", "a 20%", "40" and "may" as dates; a closed grammar of the
forms above finds none of those, and month names and weekday arithmetic are the standard
library's. Not here: applying the window (rag.retrieval, index.sqlite.store).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

# Reports of an event are dated up to a few days after it (the next day's paper, follow-ups).
# Justified on the 2022 half of rtqa-dev (docs/time.md; the figures in docs/decisions.md).
LAG_DAYS = 2
WEEK_DAYS = 7

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}


@dataclass(frozen=True)
class TimeWindow:
    start: date
    end: date  # the day after the last day in the window
    phrase: str

    def iso(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


def _month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))


def _relative(m: re.Match, d: date) -> tuple[date, date] | None:
    which, unit = m.group("which").lower(), m.group("unit").lower()
    if unit == "week":
        return d - timedelta(days=(WEEK_DAYS if which == "this" else 2 * WEEK_DAYS) - 1), d + timedelta(days=1)
    if unit == "month":
        first = d.replace(day=1)
        return (first if which == "this" else (first - timedelta(days=1)).replace(day=1)), d + timedelta(days=1)
    return date(d.year if which == "this" else d.year - 1, 1, 1), d + timedelta(days=1)


def _past_n(m: re.Match, d: date) -> tuple[date, date]:
    n = int(m.group("n")) if m.group("n") else 1
    return d - timedelta(days=n * _UNITS[m.group("unit").lower()] - 1), d + timedelta(days=1)


def _weekday(m: re.Match, d: date) -> tuple[date, date]:
    back = (d.weekday() - _WEEKDAYS[m.group("weekday").lower()]) % 7
    return d - timedelta(days=back), d + timedelta(days=1)


def _month_year(m: re.Match, d: date) -> tuple[date, date] | None:
    month = _MONTHS[m.group("month").lower()]
    year = int(m.group("year")) if m.group("year") else d.year
    if (year, month) > (d.year, d.month):
        return None  # the future ("during November", asked in August): a plan, not when it was reported
    return _month_span(year, month)


def _day(m: re.Match, d: date) -> tuple[date, date] | None:
    month = _MONTHS[m.group("month").lower()]
    year = int(m.group("year")) if m.group("year") else d.year
    try:
        day = date(year, month, int(m.group("day")))
    except ValueError:
        return None
    if not m.group("year") and day > d:
        day = day.replace(year=year - 1)
    if day > d or (d - day).days > 366:
        return None  # a future date, or an anniversary being referred to
    return day, day + timedelta(days=1)


def _year(m: re.Match, d: date) -> tuple[date, date] | None:
    year = int(m.group("year"))
    if year > d.year or year < d.year - 1:
        return None  # the future, or history the question is about rather than recent news
    return date(year, 1, 1), date(year + 1, 1, 1)


_PATTERNS = [
    (re.compile(r"\b(?P<which>this|last|past)\s+(?P<unit>week|month|year)\b", re.I), _relative),
    (re.compile(r"\b(?:in|over|during)\s+the\s+(?:past|last)\s+(?:(?P<n>\d{1,2})\s+)?(?P<unit>days?|weeks?|months?)\b",
                re.I), _past_n),
    (re.compile(r"\byesterday\b", re.I), lambda m, d: (d - timedelta(days=1), d + timedelta(days=1))),
    (re.compile(r"\btoday\b", re.I), lambda m, d: (d, d + timedelta(days=1))),
    (re.compile(r"\bon\s+(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b", re.I), _weekday),
    (re.compile(r"\bon\s+" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b", re.I),
     _day),
    (re.compile(r"\b(?:in|during)\s+(?:early\s+|late\s+|mid-?)?" + _MONTH + r"(?:\s+(?P<year>(?:19|20)\d\d))?\b", re.I),
     _month_year),
    (re.compile(r"\b(?:in|during)\s+(?P<year>(?:19|20)\d\d)\b(?!\s*[-–]|\s*(?:and|to)\s+\d)", re.I), _year),
]


def resolve_window(question: str, as_of: date) -> TimeWindow | None:
    """The publication window the question asks about, or None (no time restriction).

    With several expressions, the first one found in the question wins ("this week" over "in 2022").
    """
    found = []
    for pattern, rule in _PATTERNS:
        for m in pattern.finditer(question):
            if pattern is _PATTERNS[0][0] and m.group("which").lower() == "past":
                continue  # "past week" alone is read by the "in the past N weeks" form
            span = rule(m, as_of)
            if span is not None:
                found.append((m.start(), span, m.group(0)))
    if not found:
        return None
    _, (start, end), phrase = min(found, key=lambda item: item[0])
    return TimeWindow(start, end + timedelta(days=LAG_DAYS), phrase)
