"""Quote untrusted text for the prompt: article text, titles, dates, the question, chat history.

Every piece is first read the way a model would see it: format characters (Unicode category Cf:
soft hyphens, zero-width spaces and joiners, the word joiner newsrag inserts itself, bidi and tag
characters) are dropped, other line breaks (CR, U+2028...) become ``\n``, and every other character
outside ASCII is replaced by its NFKC form (full-width ``＜`` and small-form ``﹤`` brackets become
``<``, ``：`` becomes ``:``, full-width letters plain ones), except numbers (``10²`` must not read
``102``). Then, what such text could otherwise do to the model, and what stops it:
- open a real chat turn: llama.cpp (and llama-server) tokenize the rendered prompt with special
  tokens on, so ``<|im_end|><|im_start|>system`` in an article would become the template's own
  control tokens. In passage text and titles a planted turn is withheld, from its opening control
  string (one the backend names, ``Generator.special_tokens``, or anything shaped
  ``<|...|>``) to its close (``<|im_end|>``, ``<end_of_turn>``, ``[/INST]``, ``</s>``, ``<|eot_id|>``...)
  or, with no close, to the end of its paragraph; a close on its own is withheld alone. The
  article's text after the turn is kept: one planted token must not hide its facts. Kept as
  text, the fake turn would still read as a transcript to follow (the 1.5B model answered PWNED
  to a question an article had scripted that way). In the question and earlier turns those
  strings get a word joiner (U+2060) after their first character, so they are read as plain text;
- close its passage or open another: passage tags in any spelling (spaces, case, HTML entities,
  any length of attributes; to ``>`` or the end of the line) become a space;
- pose as the question or another role: a line whose label is a role name (system, assistant,
  user, human, AI, model, question, answer, instruction(s), developer, tool, operator), with
  any markdown around it and any colon, has its colon turned into " -";
- forge attributes of the passage element: ``"``, ``<`` and ``>`` in attribute values become
  entities (``&`` and ``'`` stay: they cannot end a double-quoted value, and "R&D" or
  "China's" should read to the model as written);
- fake a citation: ``[n]`` markers are removed from passages and from earlier answers, before
  any other step, so that removing one cannot rebuild a token, tag or role line.

Not here: the prompt's wording (rag.prompt). Plain prose can still try to persuade the model;
the system message and the citation check are the defence there, not quoting. Letters written as
HTML entities (``&#112;assage``) are not decoded.
"""
from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Collection, Sequence

from index.records import Passage
from rag.folding import fold, fold_with_origin
from rag.markers import MARKER

JOINER = "\u2060"  # WORD JOINER: invisible, and splits a token string into ordinary text
# "<|" and DeepSeek's full-width "<｜" open every chat-template token of the ChatML family.
_GENERIC = re.compile("<(?=[|\uff5c])")
# A whole token of that shape, for backends that cannot list theirs.
_GENERIC_TOKEN = r"<[|\uff5c][^\s<>|\uff5c]{1,64}[|\uff5c]>"
# A close ends a turn: </s>, [/INST], <</SYS>>, <|im_end|>, <end_of_turn>, <|eot_id|>, <|endoftext|>,
# <eos>... but not Llama 3's <|end_header_id|>, after which the turn's content only begins.
_CLOSE = re.compile(r"^(?:</|\[/|<</)|^[<\[|\uff5c]*(?:im_)?(?:end|eot|eos|eom)(?!_?header)", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_LT = r"(?:<|\uff1c|&lt;?|&#0*60;?|&#x0*3c;?)"
_GT = r"(?:>|\uff1e|&gt;?|&#0*62;?|&#x0*3e;?)"
# To ">" or, missing one, to the line's end or the next "<" (so it cannot swallow the rest of
# the passage); no cap on the attributes, which let a long fake tag through.
_TAG = re.compile(rf"{_LT}\s*/?\s*passage\b[^<>\n]*?(?:{_GT}|(?=[<\n])|$)", re.IGNORECASE)
_ROLES = r"system|assistant|user|human|ai|model|question|answer|instructions?|developer|tool|operator"
# Markdown or brackets around the label (**System**:, [User]:, __AI__ :), any colon left after folding.
_ROLE_LINE = re.compile(rf"^((?:[^\w\n]|_){{0,8}}?)((?:{_ROLES})s?(?:[ \t]+(?:message|prompt|turn))?)"
                        r"((?:[^\w\n:\u2236\ua789\u02d0\u02f8\u05c3]|_){0,8}?)[:\u2236\ua789\u02d0\u02f8\u05c3]",
                        re.IGNORECASE | re.MULTILINE)
_SPACES = re.compile(r"\s+")
_RUNS = re.compile(r"[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
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


def turn_spans(text: str, special: Collection[str] = ()) -> list[tuple[int, int]]:
    """The planted turns in ``text`` (already folded), in order: each from an opening token to
    the next close, or with no close to the end of its paragraph; a close alone is its own span."""
    tokens = list(_turn_pattern(_folded(special)).finditer(text))
    following: list[re.Match[str] | None] = [None] * len(tokens)
    close = None
    for k in range(len(tokens) - 1, -1, -1):
        following[k] = close
        if _CLOSE.search(tokens[k][0]):
            close = tokens[k]
    spans: list[tuple[int, int]] = []
    for k, token in enumerate(tokens):
        if spans and token.start() < spans[-1][1]:
            continue
        if _CLOSE.search(token[0]):
            spans.append(token.span())
        elif following[k] is not None:
            spans.append((token.start(), following[k].end()))
        else:
            paragraph = _PARAGRAPH_END.search(text, token.end())
            spans.append((token.start(), paragraph.start() if paragraph else len(text)))
    return spans


def visible_passages(passages: Sequence[Passage], special: Collection[str] = ()) -> list[Passage]:
    """``passages`` with their planted turns blanked (spaces, line breaks kept, so offsets still
    point into the article), the ones left blank dropped.

    Evidence is chosen from these, not from the whole chunks: a window chosen first and cut
    after could start inside a turn past its opening token (so nothing was withheld), or centre on
    a scripted turn that repeats the question and lose the real answer beside it.
    """
    shown = []
    for passage in passages:
        folded, origin = fold_with_origin(passage.text)
        spans = [(origin[start], origin[end]) for start, end in turn_spans(folded, special)]
        kept = _blank(passage.text, spans)
        if kept.strip():
            shown.append(passage if kept == passage.text else replace(passage, text=kept))
    return shown


def quote(text: str, special: Collection[str] = (), *, withhold: bool = True) -> str:
    """Passage text made safe to embed between passage tags; ``withhold=False`` for an earlier
    answer, whose special tokens are broken rather than withheld."""
    text = without_markers(fold(text))
    if withhold:
        text = _blank(text, turn_spans(text, special))
    text = _ROLE_LINE.sub(r"\1\2\3 -", _TAG.sub(" ", text))
    text = neutralise_tokens(text, _folded(special))
    return _BLANK_LINES.sub("\n\n", _RUNS.sub(" ", text)).strip()


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
    text = _TAG.sub(" ", fold(question))
    return _SPACES.sub(" ", neutralise_tokens(text, _folded(special))).strip()


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each span's characters made spaces (line breaks kept): nothing on either
    side can join into a token, and offsets do not move."""
    if not spans:
        return text
    pieces, at = [], 0
    for start, end in spans:
        pieces.append(text[at:start])
        pieces.append("".join("\n" if c == "\n" else " " for c in text[start:end]))
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _split(match: re.Match[str]) -> str:
    token = match[0]
    return token[0] + JOINER + token[1:] if len(token) > 1 else ""


def _folded(special: Collection[str]) -> frozenset[str]:
    """The token strings as written and as folded: untrusted text is matched after folding."""
    tokens = frozenset(t for t in special if t.strip())
    return tokens | frozenset(f for f in map(fold, tokens) if f.strip())


@functools.lru_cache(maxsize=8)
def _turn_pattern(special: frozenset[str]) -> re.Pattern[str]:
    listed = [re.escape(t) for t in sorted(special, key=lambda t: (-len(t), t))]
    return re.compile("|".join(listed + [_GENERIC_TOKEN]))


@functools.lru_cache(maxsize=8)
def _token_pattern(special: frozenset[str]) -> re.Pattern[str] | None:
    if not special:
        return None
    # Longest first, so "<|im_end|>" wins over a shorter token that is a prefix of it.
    return re.compile("|".join(re.escape(t) for t in sorted(special, key=lambda t: (-len(t), t))))
