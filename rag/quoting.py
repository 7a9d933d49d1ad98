"""Quote untrusted text for the prompt: article text, titles, dates, the question, chat history.

What such text could otherwise do to the model, and what stops it here:
- open a real chat turn: llama.cpp (and llama-server) tokenize the rendered prompt with special
  tokens on, so ``<|im_end|><|im_start|>system`` in an article would become the template's own
  control tokens. In passage text and titles, everything from the first special-token string
  the backend names (``rag.generation.special_tokens``), or the first ``<|`` / ``<｜``, to the
  end is withheld: no news story needs it, and kept as text the fake turns still read as a
  transcript to follow (the 1.5B model answered PWNED to a question an article had scripted
  that way). In the question and earlier turns those strings get a word joiner (U+2060) after
  their first character, so they are read as plain text;
- close its passage or open another: passage tags in any spelling (spaces, case, HTML entities,
  full-width brackets) become a space;
- pose as the question or another role: a line starting with ``Question:``, ``System:``,
  ``User:``, ``Assistant:``, ``Answer:`` or ``Instructions:`` has its colon turned into " -";
- forge attributes of the passage element: ``"``, ``<`` and ``>`` in attribute values become
  entities (``&`` and ``'`` stay: they cannot end a double-quoted value, and "R&D" or
  "China's" should read to the model as written);
- fake a citation: ``[n]`` markers are removed from passages and from earlier answers, before
  any other step, so that removing one cannot rebuild a token, tag or role line.

Not here: the prompt's wording (rag.prompt). Plain prose can still try to persuade the model;
the system message and the citation check are the defence there, not quoting.
"""
from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Collection, Sequence

from index.records import Passage
from rag.markers import MARKER

JOINER = "\u2060"  # WORD JOINER: invisible, and splits a token string into ordinary text
# "<|" and DeepSeek's full-width "<｜" open every chat-template token of the ChatML family.
_GENERIC = re.compile("<(?=[|\uff5c])")
_LT = r"(?:<|\uff1c|&lt;?|&#0*60;?|&#x0*3c;?)"
_GT = r"(?:>|\uff1e|&gt;?|&#0*62;?|&#x0*3e;?)"
# A tag missing its ">" still ends at the line, so it cannot swallow the rest of the passage.
_TAG = re.compile(rf"{_LT}\s*/?\s*passage\b[^<>\n]{{0,200}}?(?:{_GT}|(?=[<\n])|$)", re.IGNORECASE)
_ROLE_LINE = re.compile(r"^([^\w\n]{0,8})(question|answer|system|user|assistant|instructions?)(\s*):",
                        re.IGNORECASE | re.MULTILINE)
_SPACES = re.compile(r"\s+")
_ATTRIBUTE = str.maketrans({'"': "&quot;", "<": "&lt;", ">": "&gt;"})


def neutralise_tokens(text: str, special: Collection[str] = ()) -> str:
    """``text`` with no ``special`` token string and nothing shaped like ``<|...|>`` left in it."""
    text = _GENERIC.sub("<" + JOINER, text)
    pattern = _token_pattern(frozenset(t for t in special if t.strip()))
    if pattern is None:
        return text
    # One pass can leave a token made of the pieces around another ("<<s>s>"); each pass splits at
    # least one pair of neighbouring characters that no joiner separated, so this ends.
    while True:
        broken = pattern.sub(_split, text)
        if broken == text:
            return text
        text = broken


def before_tokens(text: str, special: Collection[str] = ()) -> str:
    """``text`` up to its first ``special`` token string or ``<|``-shaped opener, if any."""
    cut = _GENERIC.search(text)
    pattern = _token_pattern(frozenset(t for t in special if t.strip()))
    found = pattern.search(text, 0, cut.start() if cut else len(text)) if pattern else None
    end = found.start() if found else cut.start() if cut else len(text)
    return text[:end]


def visible_passages(passages: Sequence[Passage], special: Collection[str] = ()) -> list[Passage]:
    """``passages`` cut at their first special-token string, the empty ones dropped.

    Evidence is chosen from these, not from the whole chunks: a window chosen first and cut
    after could start past the token (so nothing was withheld), or centre on a scripted turn
    that repeats the question and lose the real answer before it.
    """
    shown = []
    for passage in passages:
        kept = before_tokens(passage.text, special)
        if kept.strip():
            shown.append(passage if kept == passage.text else replace(passage, text=kept, end=passage.start + len(kept)))
    return shown


def quote(text: str, special: Collection[str] = (), *, withhold: bool = True) -> str:
    """Passage text made safe to embed between passage tags; ``withhold=False`` for an earlier
    answer, whose special tokens are broken rather than cut."""
    text = without_markers(text)
    text = before_tokens(text, special) if withhold else text
    text = _TAG.sub(" ", neutralise_tokens(text, special))
    return _ROLE_LINE.sub(r"\1\2\3 -", text).strip()


def without_markers(text: str) -> str:
    """``text`` with no ``[n]`` marker, removed first: taken out after the other steps, a marker
    inside ``<[1]|im_end|>`` or ``</pass[2]age>`` would leave the token or tag it broke. Repeated,
    since removing one can join another (``[[1]2]``)."""
    while True:
        stripped = MARKER.sub("", text)
        if stripped == text:
            return text
        text = stripped


def attribute(value: str, special: Collection[str] = (), limit: int = 160) -> str:
    """An attribute value for the passage element: one line, quoted, escaped, at most ``limit``."""
    plain = _SPACES.sub(" ", quote(value, special))[:limit]
    return plain.translate(_ATTRIBUTE)


def question_line(question: str, special: Collection[str] = ()) -> str:
    """The question as one line of plain text (a line break in it could start a fake block)."""
    return _SPACES.sub(" ", _TAG.sub(" ", neutralise_tokens(question, special))).strip()


def _split(match: re.Match[str]) -> str:
    token = match[0]
    return token[0] + JOINER + token[1:] if len(token) > 1 else ""


@functools.lru_cache(maxsize=8)
def _token_pattern(special: frozenset[str]) -> re.Pattern[str] | None:
    if not special:
        return None
    # Longest first, so "<|im_end|>" wins over a shorter token that is a prefix of it.
    return re.compile("|".join(re.escape(t) for t in sorted(special, key=lambda t: (-len(t), t))))
