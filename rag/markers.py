"""Citation markers in answer text: "[1]" or "[1, 2]", read, removed, and placed.

Every module that reads, strips or writes markers uses these: the citation check, the prompt (it
strips markers from earlier answers), the naive baseline, the metrics and both renderers. Not
here: deciding which passage a sentence cites (rag.citations).
"""
from __future__ import annotations

import re

# The group holds the numbers.
MARKER = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
_CLOSING = ".!?\"'”’)"


def marker_numbers(text: str) -> list[int]:
    """The numbers of every marker in ``text``, in order: "A [1]. B [2, 3]." -> [1, 2, 3]."""
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*,\s*", group)]


def without_markers(text: str) -> str:
    """``text`` with its citation markers removed: "Tencent [1][2]." -> "Tencent."."""
    return _SPACED_MARKER.sub("", text).strip()


def split_closing(sentence: str) -> tuple[str, str]:
    """``sentence`` (right-stripped) cut before its closing punctuation, where markers go.

    'He said "yes."' -> ('He said "yes', '."'); a renderer writes body, markers, closing.
    """
    body = sentence.rstrip()
    end = len(body)
    while end > 0 and body[end - 1] in _CLOSING:
        end -= 1
    return body[:end], body[end:]


def with_markers(sentence: str, numbers: tuple[int, ...] | list[int]) -> str:
    """``sentence`` with "[n]" markers before its closing punctuation: "... Tencent [1]."."""
    if not numbers:
        return sentence
    body, closing = split_closing(sentence)
    return f"{body} {''.join(f'[{n}]' for n in numbers)}{closing}"
