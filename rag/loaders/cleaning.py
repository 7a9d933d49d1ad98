"""Text clean-up shared by the loaders: normalised text, one-line titles, ids, dates.

Normalisation is deliberately small, because character offsets into ``Document.text`` are used
for citations later and the text should read as the file does: line endings become ``\\n``,
control characters go, trailing whitespace goes. No Unicode normalisation, no de-hyphenation,
no whitespace collapsing inside lines.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

# C0 controls except \t and \n, DEL, C1 controls, and lone surrogates (JSON "\ud800" escapes
# decode to them, and such a str cannot be encoded back to UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Characters that end a line but are not "\n": they become "\n" rather than vanishing, so the
# words on either side of a form feed (a PDF page break) do not run together.
_LINE_BREAKS = frozenset(["\r\n", *"\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"])
# Both in one pattern, so the text is scanned once (this runs over every byte of a corpus).
_ODD = re.compile("\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SLUG_MAX = 80


def normalise_text(text: str) -> str:
    """Line endings to ``\\n``, control characters removed, trailing whitespace stripped.

    Leading and trailing blank lines are dropped too; everything else is kept verbatim.
    """
    text = _ODD.sub(_replace_odd, text).lstrip("\ufeff")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _replace_odd(match: re.Match[str]) -> str:
    return "\n" if match.group() in _LINE_BREAKS else ""


def clean_line(value: str) -> str:
    """A one-line value (title, id, url): cleaned, whitespace runs collapsed to one space."""
    return " ".join(_CONTROL.sub("", value).split())


def title_from_text(text: str, max_chars: int = 200) -> str | None:
    """The first non-empty line (a leading markdown ``#`` removed), if it is short enough."""
    for line in text.split("\n"):
        if line.strip():
            title = clean_line(line.lstrip().lstrip("#"))
            # a line of only punctuation ("---", "***") is a markdown rule, not a title
            has_words = any(ch.isalnum() for ch in title)
            return title if has_words and len(title) <= max_chars else None
    return None


def first_line(text: str, max_chars: int) -> str:
    """The first non-empty line cut to ``max_chars`` (a default title for JSONL rows)."""
    for line in text.split("\n"):
        if line.strip():
            # cut before cleaning: the line may be a whole article on one line
            return clean_line(line[: max_chars * 4])[:max_chars].rstrip()
    return ""


def humanise(stem: str) -> str:
    """``sag_aftra-strike-ends`` -> ``Sag aftra strike ends``: a last-resort title."""
    words = " ".join(re.split(r"[\s_\-.]+", clean_line(stem))).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def slugify(stem: str) -> str:
    """A lowercase ``[a-z0-9-]`` id from a file stem; a hash when nothing ASCII is left."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_JUNK.sub("-", ascii_stem.lower()).strip("-")[:_SLUG_MAX].strip("-")
    if slug:
        return slug
    # e.g. a stem in Cyrillic or CJK: still stable across runs, and still [a-z0-9-].
    return "doc-" + hashlib.sha1(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def parse_published(value: str) -> str:
    """Validate an ISO date (``YYYY-MM-DD``, optionally with a time); return it stripped.

    Raises ``ValueError`` with the reason; callers turn it into an ``InputError`` with the line.
    """
    value = value.strip()
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD, optionally with a time)")
    try:
        # fromisoformat alone would also accept forms like "20231108"; the regex keeps it to the
        # common shape, this catches impossible dates such as 2023-02-30.
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date") from None
    return value
