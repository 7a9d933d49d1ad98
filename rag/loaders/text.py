"""Load ``.txt`` and ``.md`` files: optional front matter, then the article text.

Front matter is the small subset of YAML that news exports use: ``key: value`` lines between two
``---`` lines at the very top. Recognised keys are ``id``, ``title``, ``url``, ``source`` and
``date``/``published``; other keys (``layout``, ``tags`` ...) and indented or ``- item`` lines are
ignored. It is not a YAML parser: no multi-line strings, no nested maps, no anchors.
Markdown is kept as written (headings, emphasis markers and links stay in the text).
"""
from __future__ import annotations

import re
from pathlib import Path

from index.records import Document
from rag.errors import InputError
from rag.limits import Limits, over
from rag.loaders.cleaning import clean_line, humanise, normalise_text, parse_published, slugify, title_from_text
from rag.loaders.reading import check_text_length, read_utf8

_FENCE = "---"
_CLOSERS = ("---", "...")  # YAML allows "..." to end a document
_KEY_VALUE = re.compile(r"([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?\s*")
_KEYS = ("id", "title", "url", "source", "date", "published")


def load_text(path: Path, limits: Limits) -> Document:
    """Read one text or markdown file as a ``Document``; raise ``InputError`` if it cannot be.

    A front-matter id, URL or title over its limit is refused at its line (a person wrote it).
    """
    raw = read_utf8(path, limits.file_bytes).replace("\r\n", "\n")
    meta, lines_used, body = _split_front_matter(path, raw)
    text = check_text_length(path, normalise_text(body), limits.text_chars)
    if not text:
        problem = "file has no text after its front matter" if lines_used else "file is empty"
        raise InputError(path, problem)

    published = None
    if "published" in meta or "date" in meta:
        key = "published" if "published" in meta else "date"
        value, line = meta[key]
        if value:
            try:
                published = parse_published(value)
            except ValueError as exc:
                raise InputError(path, f"front matter {key}: {exc}", line=line) from None

    def field(key: str) -> str | None:
        value = clean_line(meta[key][0]) if key in meta else ""
        problem = None
        if key == "id" and value:
            problem = limits.id_problem(value)
        elif key == "url" and value:
            problem = limits.url_problem(value)
        elif key in ("title", "source") and len(value) > limits.title_chars:
            problem = over(key, len(value), limits.title_chars, "max_title_chars")
        if problem is not None:
            raise InputError(path, f"front matter {key}: {problem}", line=meta[key][1])
        return value or None

    return Document(
        id=field("id") or slugify(path.stem),
        title=field("title") or limits.fit_title(title_from_text(text) or humanise(path.stem)),
        text=text,
        source=field("source") or str(path),
        url=field("url"),
        published=published,
    )


def _split_front_matter(path: Path, raw: str) -> tuple[dict[str, tuple[str, int]], int, str]:
    """``({key: (value, line_no)}, lines the front matter took, body)``.

    Without a closing fence the opening ``---`` is taken as a markdown rule and the whole file is
    the body: nothing is lost, and a thematic break at the top is not an error.
    """
    lines = raw.split("\n")
    if not lines or lines[0].rstrip() != _FENCE:
        return {}, 0, raw
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in _CLOSERS), None)
    if end is None:
        return {}, 0, raw

    meta: dict[str, tuple[str, int]] = {}
    for index in range(1, end):
        line, line_no = lines[index], index + 1
        stripped = line.strip()
        # blank, comment, list item or continuation of a key we do not read
        if not stripped or stripped.startswith("#") or line[:1].isspace() or stripped.startswith("- "):
            continue
        match = _KEY_VALUE.fullmatch(stripped)
        if match is None:
            shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
            raise InputError(path, f"front matter line is not 'key: value': {shown!r}", line=line_no)
        key = match.group(1).lower()
        if key in _KEYS:
            meta[key] = (_unquote(match.group(2) or ""), line_no)
    return meta, end + 1, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    """Strip YAML quotes, or a trailing `` # comment`` from an unquoted value."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()
