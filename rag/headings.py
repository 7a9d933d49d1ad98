"""Heading lines, and keeping each with the text it introduces.

Articles written as lists put a heading on a line of its own ("3. Risk of Global AI
Bifurcation:") and the point itself on the next. Shown alone, the heading reads like an answer
to "what are the risks?" while the sentence under it names them. A heading line is short and on
a line of its own, and ends in a colon, is numbered or bulleted, or is a Markdown heading; it
counts only when text follows it. A short line without closing punctuation is not enough: news
writes captions, subheads and sign-offs that way, and counting them too re-chunked 1,175 of
rtqa-dev's 2,319 articles (200 without) and changed the prompts of 40 of rtqa-small's 60
questions. Chunking (rag.chunking) does not end a chunk on one, evidence selection (rag.evidence) and so highlighting treat a heading and the
sentence after it as one unit, and rag.abstention treats a reply that only repeats one like a
reply that restates the question. Not here: sentence splitting itself (rag.text).
"""
from __future__ import annotations

import re

MAX_CHARS = 100
MAX_WORDS = 14
_MARKER = re.compile(r"^(?:#{1,6}\s+|\d{1,3}[.)]\s+|[•◦▪●‣*+–—-]\s+)")
_CLOSED = re.compile(r"[.!?;,\"”’)\]]$")


def is_heading(line: str) -> bool:
    """Whether ``line`` (one line, without its break) looks like a heading."""
    text = line.strip()
    if not text or len(text) > MAX_CHARS or not re.search(r"\w", text):
        return False
    marked = _MARKER.match(text)
    body = text[marked.end():] if marked else text
    if not re.search(r"[^\W\d_]", body) or len(body.split()) > MAX_WORDS:
        return False  # "3." alone, or a line too long to be a title
    if body.endswith(":") or text.startswith("#"):
        return True
    # Numbered or bulleted: a point's title, unless it is a sentence itself ("• Beijing offers ...").
    return bool(marked) and not _CLOSED.search(body)


def heading_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each heading line in ``text`` that has text after it."""
    out = []
    offset = 0
    lines = text.splitlines(keepends=True)
    for number, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        start = offset + len(line) - len(line.lstrip())
        offset += len(raw)
        if is_heading(line) and any(rest.strip() for rest in lines[number + 1 :]):
            out.append((start, start + len(line.strip())))
    return out


def join_headings(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (sentence spans of ``text``, in order) with each heading line's spans joined to
    the span after them: ["3.", "Risk of ...:", "As China ..."] becomes one span.

    Headings with nothing after them stay as they are.
    """
    headings = heading_lines(text)
    if not headings:
        return spans
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in spans:
        if any(h_start <= start and end <= h_end for h_start, h_end in headings):
            pending = start if pending is None else pending
            continue
        out.append((start if pending is None else pending, end))
        pending = None
    if pending is not None:
        out.append((pending, spans[-1][1]))
    return out


def trailing_heading_start(text: str) -> int | None:
    """Where the heading lines that end ``text`` begin, if it ends with any; else None.

    ``text`` is a chunk: the text those headings introduce lies after it in the document, so
    whether text follows is not asked here.
    """
    lines = text.rstrip().splitlines(keepends=True)
    cut = None
    offset = sum(len(line) for line in lines)
    for raw in reversed(lines):
        offset -= len(raw)
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if not is_heading(line):
            break
        cut = offset + len(line) - len(line.lstrip())
    return cut


def keep_with_text(text: str, chunks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Chunk spans of ``text`` moved so that no chunk but the last ends on heading lines.

    Such a chunk ends before its headings instead, and the next chunk starts at them if it
    started later: a heading goes with the text under it, even when that makes the next chunk a
    little longer than the splitter's size.
    """
    out = list(chunks)
    for i in range(len(out) - 1):
        start, end = out[i]
        cut = trailing_heading_start(text[start:end])
        if not cut:  # no heading at the end, or nothing but headings: leave the chunk alone
            continue
        out[i] = (start, start + len(text[start : start + cut].rstrip()))
        next_start, next_end = out[i + 1]
        out[i + 1] = (min(next_start, start + cut), next_end)
    return out
