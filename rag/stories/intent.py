"""Which questions a brief or a timeline answers, decided by the question's form and its time
expression, with no model call: `story_question`.

"What happened this week?", "What's new on Huawei's chips?", "What's the latest on the strike?",
"Brief me on the harbour vote since Monday", "Any news today?" get a brief: of the window the
question's time expression names (rag.timeexpr, already resolved into the `Question`), else of the
last ``BRIEF_DAYS`` days; with the words after "on"/"about"/"with" as its topic. "How did the
strike develop?", "How has X unfolded?", "Timeline of X", "X timeline" get a timeline of X. Any
other question is an ordinary question (None). Forms are matched on the whole question, anchored,
so "What happened to the ferry on Tuesday?" (a question about one fact) stays ordinary.
Not here: making the brief or timeline (rag.stories.brief, timeline), answering (rag.stories.answer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from index.base import DateWindow
from rag.timeexpr import TimeWindow

BRIEF_DAYS = 7  # a brief without a time expression covers the last week, as `newsrag brief` does

_END = r"\s*[?.!]*\s*$"
_WHEN = r"(?P<when>(?:\s+(?:this|last|past|in|on|over|during|since|today|yesterday)\b.*?)?)"
_TOPIC = r"(?:\s+(?:on|about|with|in|regarding|for)\s+(?P<topic>.+?))?"
_BRIEFS = [re.compile(p, re.I) for p in (
    r"^(?:so\s+)?what(?:'s|\s+has|\s+is)?\s+(?:happened|happening|going\s+on)" + _TOPIC + _WHEN + _END,
    r"^what(?:'s|\s+is)\s+(?:new|the\s+latest|the\s+news)" + _TOPIC + _WHEN + _END,
    r"^(?:any|the)\s+(?:news|updates?)" + _TOPIC + _WHEN + _END,
    r"^(?:please\s+)?(?:brief|update|catch)\s+me(?:\s+up)?" + _TOPIC + _WHEN + _END,
    r"^(?:give\s+me\s+)?(?:a|the)\s+(?:news\s+)?(?:brief|briefing|summary|round-?up)" + _TOPIC + _WHEN + _END,
    r"^(?:what\s+(?:were|are)\s+)?the\s+(?:main\s+|top\s+)?(?:stories|headlines)" + _TOPIC + _WHEN + _END,
)]
_TIMELINES = [re.compile(p, re.I) for p in (
    r"^how\s+(?:did|has|have)\s+(?:the\s+story\s+of\s+)?(?P<topic>.+?)\s+(?:develop(?:ed)?|unfold(?:ed)?|evolve[d]?|progress(?:ed)?)" + _WHEN + _END,
    r"^(?:(?:give|show)\s+me\s+)?(?:a|the)?\s*(?:timeline|chronology|history)\s+(?:of|for|on)\s+(?P<topic>.+?)" + _WHEN + _END,
    r"^(?P<topic>.+?)\s+timeline" + _END,
)]
# A topic that only restates the time, or names the news itself, is no topic.
_NO_TOPIC = re.compile(r"^(?:the\s+)?(?:news|world|week|today|it|things?|everything)$", re.I)
_SINCE = re.compile(r"\bsince\s+(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday)\b", re.I)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class StoryQuestion:
    kind: str  # "brief" or "timeline"
    topic: str | None
    window: DateWindow | None  # (first day, day after the last); a timeline has none


def story_question(text: str, window: TimeWindow | None, today: date) -> StoryQuestion | None:
    """What ``text`` asks for when it asks for a brief or a timeline, else None. ``window`` is the
    one its time expression names (`Question.window`), ``today`` the day the brief runs up to."""
    text = " ".join(text.split())
    for pattern in _TIMELINES:
        m = pattern.match(text)
        if m and _topic(m.group("topic")):
            return StoryQuestion("timeline", _topic(m.group("topic")), None)
    for pattern in _BRIEFS:
        m = pattern.match(text)
        if m:
            topic = _topic(_cut_time(m.group("topic") or "", window))
            return StoryQuestion("brief", topic, _brief_window(text, window, today))
    return None


def _brief_window(text: str, window: TimeWindow | None, today: date) -> DateWindow:
    since = _SINCE.search(text)
    if since:
        day = since.group("day").lower()
        back = 1 if day == "yesterday" else (today.weekday() - _WEEKDAYS.index(day)) % 7
        return (today - timedelta(days=back)).isoformat(), (today + timedelta(days=1)).isoformat()
    if window is not None:  # up to today: the lag rag.timeexpr adds for late reports is the future here
        return window.start.isoformat(), min(window.end, today + timedelta(days=1)).isoformat()
    return (today - timedelta(days=BRIEF_DAYS - 1)).isoformat(), (today + timedelta(days=1)).isoformat()


def _cut_time(topic: str, window: TimeWindow | None) -> str:
    """The topic without the time expression the question ends with ("X this week" -> "X")."""
    if window is not None and window.phrase and window.phrase.lower() in topic.lower():
        topic = topic[:topic.lower().index(window.phrase.lower())]
    return _SINCE.split(topic)[0]


def _topic(topic: str | None) -> str | None:
    topic = (topic or "").strip(" ,;:-?.!")
    return None if not topic or _NO_TOPIC.match(topic) else topic
