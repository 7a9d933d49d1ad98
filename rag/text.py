"""Small text helpers shared by evidence selection and citation checking.

Sentence spans (with offsets, so a span can be highlighted in its passage) and content words
(lower-cased, light plural stripping, the stop words of index.stopwords.CONTENT out) for lexical
support checks. No NLP model.
"""
from __future__ import annotations

import re
from typing import Sequence

from index.stopwords import CONTENT

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before white space
# and a capital, digit or opening quote; or at a line break.
# Titles and other abbreviations that end in a period but not a sentence ("Lt. Uhura").
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Lt", "Sgt", "Gen", "Col", "Capt", "Gov", "Sen",
                  "Rep", "Rev", "Prof", "Jr", "Sr", "No", "Vol", "Inc", "Corp", "Co", "vs", "Jan",
                  "Feb", "Mar", "Apr", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec", "U.S", "U.K")
_NOT_AFTER = "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS)
_END = r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))"  # an end mark, maybe with its closing quote
_BOUNDARY = re.compile(_NOT_AFTER + _END + r"\s+(?=[\"“‘(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence in ``text``."""
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [span for span in (trimmed(text, s, e) for s, e in spans) if span[1] > span[0]]


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` moved inward past white space at either end of ``text[start:end]``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stop words, with a trailing plural 's' removed."""
    words = []
    for word in _WORD.findall(text.lower()):
        if word in CONTENT or (len(word) < 2 and not word.isdigit()):
            continue
        words.append(stem(word))
    return words


def stem(word: str) -> str:
    """Crude suffix stripping, enough to match "offers", "offered" and "offering"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def overlap(words: Sequence[str], other: str | set[str]) -> float:
    """Share of ``words`` found in ``other`` (0 when ``words`` is empty)."""
    if not words:
        return 0.0
    pool = other if isinstance(other, set) else set(content_words(other))
    return sum(w in pool for w in words) / len(words)
