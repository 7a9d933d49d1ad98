"""Load saved web pages (``.html``/``.htm``): the article text as trafilatura extracts it.

Boilerplate (navigation, footers, comment sections) is dropped by trafilatura; the title, the
publication date and the canonical URL come from the page's metadata. Nothing is fetched: the
file's own markup is all that is read. Images, links and tables' layout are not kept, and no
attempt is made to render JavaScript-built pages (they usually have no text to extract).
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from index.records import Document
from rag.errors import InputError
from rag.limits import Limits
from rag.loaders.cleaning import clean_line, humanise, normalise_text, parse_published, slugify, title_from_text
from rag.loaders.reading import check_not_binary, check_text_length, decode_utf8, read_bytes

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_HAS_ROOT = re.compile(r"<(?:html|body)[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 4096
# lxml refuses strings holding most control characters; drop them before parsing (keeping
# \t \n \r, which markup uses as whitespace).
_MARKUP_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def load_html(path: Path, limits: Limits) -> Document:
    """Extract one saved page as a ``Document``; raise ``InputError`` if it has no article text."""
    data = read_bytes(path, limits.file_bytes)
    return parse_html(str(path), data, slugify(path.stem), humanise(path.stem), limits=limits)


def parse_html(source: str, data: bytes, doc_id: str, fallback_title: str = "",
               charset: str | None = None, limits: Limits | None = None) -> Document:
    """The article in the page ``data`` (read from ``source``, a path or URL) as a ``Document``.

    ``charset`` is the one a web server declared, tried when the bytes are not UTF-8. With
    ``limits``, text over ``text_chars`` is refused; the page's title, author and site name are
    cut to ``title_chars``, and a canonical URL over the URL limits is dropped (the page's own
    metadata: a label and a hint, not the article). Without, the Ingestor's check is the only one.
    """
    check_not_binary(source, data)
    markup = _MARKUP_CONTROL.sub("", _decode(source, data, charset))
    if not _HAS_ROOT.search(markup[:_SNIFF_BYTES]):
        # trafilatura discards bare fragments such as "<p>...</p>"; a saved snippet is still text.
        markup = f"<html><body>{markup}</body></html>"

    extracted = _extract(source, markup)
    text = normalise_text(extracted.text or "") if extracted is not None else ""
    check_text_length(source, text, limits.text_chars if limits else None)
    if not text:
        raise InputError(source, "no article text could be extracted from this page")

    published = None
    if extracted.date:
        try:
            published = parse_published(str(extracted.date))
        except ValueError:
            # A guessed date from the page is metadata, not content: drop it, keep the article.
            published = None
    title = clean_line(extracted.title or "")
    url = clean_line(extracted.url or "")
    author = clean_line(extracted.author or "")
    sitename = clean_line(extracted.sitename or "")
    if limits is not None:
        title, author, sitename = (limits.fit_title(v) for v in (title, author, sitename))
        url = "" if url and limits.url_problem(url) else url
    return Document(
        id=doc_id,
        title=title or _fit(limits, title_from_text(text) or fallback_title or doc_id),
        text=text,
        source=source,
        url=url or None,
        published=published,
        author=author or None,
        site=sitename or None,
    )


def _fit(limits: Limits | None, title: str) -> str:
    return limits.fit_title(title) if limits else title


def _decode(path: str, data: bytes, declared: str | None = None) -> str:
    """UTF-8 first; else the charset the server or the page declares (older news sites use
    windows-1252)."""
    try:
        return decode_utf8(path, data)
    except InputError as not_utf8:
        match = _CHARSET.search(data[:_SNIFF_BYTES])
        if match is None and not declared:
            raise
        name = declared or match.group(1).decode("ascii")
        try:
            if codecs.lookup(name).name == "utf-8":
                raise not_utf8  # it claims UTF-8 and is not: the UTF-8 error says where
            # bytes.decode refuses non-text codecs such as "rot13" with a LookupError too.
            return data.decode(name)
        except (LookupError, ValueError):  # ValueError covers UnicodeError from odd codecs (idna)
            raise InputError(path, f"cannot decode the page as its declared charset {name!r}: save it as UTF-8") from None


def _extract(path: str, markup: str) -> Any:
    """trafilatura's result (its own ``Document`` type), or None when it found no text."""
    try:
        import trafilatura
        from trafilatura.settings import set_date_params
    except ImportError:
        raise ImportError("reading .html files needs trafilatura: pip install trafilatura") from None
    try:
        return trafilatura.bare_extraction(
            markup,
            with_metadata=True,
            include_comments=False,  # reader comments are not the article
            # Only look for dates in metadata and markup, not anywhere in the text: a wrong
            # date is worse than none.
            date_extraction_params=set_date_params(extensive=False),
        )
    except Exception as exc:
        # lxml and trafilatura raise assorted errors (ValueError, RecursionError, ...) on hostile
        # markup; any of them means this one file cannot be read, not that the batch must stop.
        raise InputError(path, f"cannot parse the page: {type(exc).__name__}: {clean_line(str(exc))[:200]}") from None
