"""Fold untrusted text to what a reader sees, so that disguised syntax is matched as written.

A tag or role label can be split by characters that show nothing (``</pass\\u00adage>``,
``Question\\u2060:``) or spelled with lookalikes (``﹤/passage﹥``, ``System：``, full-width letters).
A model reads through both, so ``rag.quoting`` matches on the folded text and passes that on:

- format characters (Unicode category Cf: soft hyphen, zero-width space and joiners, the word
  joiner, byte-order mark, bidi controls, tag characters) are dropped;
- every line break ``str.splitlines`` knows (CR, CR LF, U+2028, U+0085, ...) becomes ``\\n``;
- any other character outside ASCII becomes its NFKC form, one character at a time (``﹤`` and
  ``＜`` to ``<``, ``：`` to ``:``, ``Ｓ`` to ``S``, ``ﬁ`` to ``fi``), except numbers: ``10²``
  must not read ``102``, and no digit is syntax.

Not here: what is matched (``rag.quoting``). The cost: joiners that shape Persian or Indic words
and emoji sequences are dropped too; the model still reads the words.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ASCII_ODD = re.compile("[\r\x0b\x0c\x1c\x1d\x1e]")


def fold(text: str) -> str:
    """``text`` as read: format characters dropped, line breaks ``\\n``, lookalikes plain."""
    if _plain(text):
        return text
    return "".join(_fold_char(c) for c in text.replace("\r\n", "\n"))


def fold_with_origin(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters and one past the end, the index in ``text``
    it came from, so that a span found in the folded text can be mapped back."""
    if _plain(text):
        return text, list(range(len(text) + 1))
    pieces: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if c == "\r" and text[i + 1 : i + 2] == "\n":
            continue  # CR LF is one line break, not two (two would read as a paragraph break)
        piece = _fold_char(c)
        pieces.append(piece)
        origin.extend([i] * len(piece))
    origin.append(len(text))
    return "".join(pieces), origin


def _plain(text: str) -> bool:
    return text.isascii() and not _ASCII_ODD.search(text)


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c.isascii() and c not in _LINE_BREAKS:
        return c
    category = unicodedata.category(c)
    if category == "Cf":
        return ""
    if c in _LINE_BREAKS:
        return "\n"
    if category[0] == "N":
        return c
    return unicodedata.normalize("NFKC", c)
