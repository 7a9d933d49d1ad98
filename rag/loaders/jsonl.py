"""Load ``.jsonl`` files: one article per line, as a JSON object.

Each line holds ``text`` (required, a non-empty string) and optionally ``id``, ``title``,
``url`` and ``published`` (strings or null; an integer ``id`` is accepted too). A row without an
id gets ``<file-stem>-<hash>``, the hash of its URL when it has one, else of its text: stable
when lines are inserted, removed or reordered (a line number would hand one article's id to
another), and with a URL stable across edits of the text too. Other keys are
ignored. The file is streamed line by line so memory stays flat however big it is: the size limit
applies to each line, not to the file. A bad line yields an ``InputError`` for that line and the
rest still load. Duplicate ids across lines are left to the caller, which sees the whole batch.
"""
from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from index.records import Document
from rag.errors import InputError
from rag.limits import Limits, over
from rag.loaders.cleaning import clean_line, first_line, normalise_text, parse_published, slugify
from rag.loaders.reading import check_not_binary, check_regular_file, check_text_length, decode_utf8, too_big

TITLE_CHARS = 120
_SNIFF_BYTES = 8192
_SKIP_CHUNK = 1 << 20


def load_jsonl(path: Path, limits: Limits) -> Iterator[Document | InputError]:
    """Yield a ``Document`` per good line and an ``InputError`` per bad line (or bad file)."""
    try:
        check_regular_file(path)
        f = path.open("rb")
    except InputError as err:
        yield err
        return
    except OSError as exc:
        yield InputError(path, f"cannot read the file: {exc.strerror or exc}")
        return

    stem_slug = slugify(path.stem)
    with f:
        try:
            # A binary file would otherwise produce one "not valid JSON" error per "line".
            check_not_binary(path, f.read(_SNIFF_BYTES))
            f.seek(0)
        except InputError as err:
            yield err
            return
        except OSError as exc:
            yield InputError(path, f"cannot read the file: {exc.strerror or exc}")
            return

        line_no, found_any = 0, False
        max_bytes = limits.file_bytes
        while True:
            try:
                raw = f.readline(max_bytes + 1)
                if not raw:
                    break
                line_no += 1
                if len(raw) > max_bytes and not raw.endswith(b"\n"):
                    found_any = True
                    size = len(raw) + _skip_rest_of_line(f)
                    yield too_big(path, size, max_bytes, what="line", line=line_no)
                    continue
            except OSError as exc:
                yield InputError(path, f"cannot read the file: {exc.strerror or exc}", line=line_no)
                return
            if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue  # blank lines (and a trailing newline) are allowed
            found_any = True
            try:
                yield _document(path, raw, line_no, stem_slug, limits)
            except InputError as err:
                yield err
        if not found_any:
            yield InputError(path, "file is empty")


def _skip_rest_of_line(f: IO[bytes]) -> int:
    """Consume the rest of an over-long line in bounded chunks; return how many bytes it had."""
    skipped = 0
    while True:
        chunk = f.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _document(path: Path, raw: bytes, line_no: int, stem_slug: str, limits: Limits) -> Document:
    """One non-blank line as a ``Document``; raise ``InputError`` (with the line) if it is bad.

    An id, title or URL over its limit is refused, not cut: a person wrote it, and a cut id could
    name another row's document.
    """

    def bad(problem: str) -> InputError:
        return InputError(path, problem, line=line_no)

    if b"\x00" in raw:
        raise bad("contains NUL bytes (binary data)")
    line = decode_utf8(path, raw, first_line=line_no)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # e.g. over-long integers, absurd nesting
        raise bad(f"not valid JSON: {type(exc).__name__}: {clean_line(str(exc))[:100]}") from None
    if not isinstance(obj, dict):
        raise bad(f"expected a JSON object, got {_kind(obj)}")

    text = obj.get("text")
    if text is None:
        raise bad("missing required field 'text'")
    if not isinstance(text, str):
        raise bad(f"'text' must be a string, got {_kind(text)}")
    text = check_text_length(path, normalise_text(text), limits.text_chars, line=line_no)
    if not text:
        raise bad("'text' is empty")

    raw_id = obj.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)  # numeric ids are common in exported datasets
    title = clean_line(_optional_str(bad, "title", obj.get("title"))) or first_line(text, min(TITLE_CHARS, limits.title_chars))
    if len(title) > limits.title_chars:
        raise bad(f"'title': {over('title', len(title), limits.title_chars, 'max_title_chars')}")
    url = clean_line(_optional_str(bad, "url", obj.get("url"))) or None
    if url is not None and (problem := limits.url_problem(url)) is not None:
        raise bad(f"'url': {problem}")
    doc_id = clean_line(_optional_str(bad, "id", raw_id)) or _default_id(stem_slug, url, text)
    if (problem := limits.id_problem(doc_id)) is not None:
        raise bad(f"'id': {problem}")
    published = _optional_str(bad, "published", obj.get("published")).strip() or None
    if published is not None:
        try:
            published = parse_published(published)
        except ValueError as exc:
            raise bad(f"'published': {exc}") from None
    return Document(id=doc_id, title=title, text=text, source=f"{path}:{line_no}", url=url, published=published)


def _default_id(stem_slug: str, url: str | None, text: str) -> str:
    named_by = f"url:{url}" if url else f"text:{text}"
    return f"{stem_slug}-{hashlib.sha256(named_by.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def _optional_str(bad: Callable[[str], InputError], key: str, value: Any) -> str:
    """The field's string value, ``""`` for null or missing; a wrong type is an error."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad(f"'{key}' must be a string or null, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    """JSON's name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)
