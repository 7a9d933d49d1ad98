"""Load ``.pdf`` files: the text layer of every page, as pypdf extracts it.

Pages are joined with a blank line. Scanned PDFs have no text layer and are refused (OCR is out
of scope), as are password-protected ones. Layout is not reconstructed: columns, tables and
hyphenation come out however pypdf orders them. The publication date is left empty, because a
PDF's creation date is usually when it was printed, not when the article appeared.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from index.records import Document
from rag.errors import InputError
from rag.limits import Limits
from rag.loaders.cleaning import clean_line, humanise, normalise_text, slugify, title_from_text
from rag.loaders.reading import check_text_length, read_bytes, too_long

if TYPE_CHECKING:
    from pypdf import PdfReader

_HEADER_WINDOW = 1024  # the PDF spec lets junk precede "%PDF-" within the first KB


def load_pdf(path: Path, limits: Limits) -> Document:
    """Read one PDF as a ``Document``; raise ``InputError`` if it has no readable text.

    Extraction stops as soon as the text passes ``limits.text_chars``; a title from the PDF's
    metadata is cut to ``limits.title_chars`` (it is a label, not the article).
    """
    max_chars = limits.text_chars
    data = read_bytes(path, limits.file_bytes)
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise InputError(path, "not a PDF file (no %PDF- header)")
    try:
        from pypdf import PdfReader  # noqa: F811 (the TYPE_CHECKING import is for annotations)
    except ImportError:
        raise ImportError("reading .pdf files needs pypdf: pip install pypdf") from None

    # pypdf logs warnings (on the "pypdf" logger) for defects it repairs; the application
    # decides whether to show them, so the logger is left alone here.
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _open_encrypted(reader):
            raise InputError(path, "PDF is password-protected: save an unprotected copy")
        pages, failed = _page_texts(path, reader, max_chars)
        meta_title = _metadata_title(reader)
    except InputError:
        raise
    except Exception as exc:
        # pypdf raises assorted errors (PdfReadError, KeyError, ValueError, RecursionError...)
        # on damaged files; any of them means this one file cannot be read.
        raise InputError(path, f"cannot read the PDF: {type(exc).__name__}: {clean_line(str(exc))[:200]}") from None

    # Each page is normalised on its own so page breaks are exactly one blank line.
    text = check_text_length(path, "\n\n".join(filter(None, (normalise_text(page) for page in pages))), max_chars)
    if not text:
        why = f"{failed} of {failed + len(pages)} pages failed to parse" if failed else "a scanned PDF needs OCR first"
        raise InputError(path, f"PDF has no extractable text ({why})")
    return Document(
        id=slugify(path.stem),
        title=limits.fit_title(meta_title or title_from_text(text) or humanise(path.stem)),
        text=text,
        source=str(path),
    )


def _open_encrypted(reader: PdfReader) -> bool:
    """Try the empty user password: many PDFs are "encrypted" only to restrict printing."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        # wrong password, or an AES file without the optional `cryptography` package
        return False


def _page_texts(path: Path, reader: PdfReader, max_chars: int | None) -> tuple[list[str], int]:
    """Text of each page that parses; a damaged page is skipped rather than losing the file.

    Stops with ``too_long`` as soon as the pages read hold more than ``max_chars`` characters:
    pages may share one compressed stream, so a few KB of PDF can extract to millions.
    """
    texts: list[str] = []
    failed = total = 0
    count = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception:
            failed += 1
            continue
        total += len(texts[-1])
        if max_chars is not None and total > max_chars:
            raise too_long(path, max_chars, where=f" by page {number} of {count}")
    return texts, failed


def _metadata_title(reader: PdfReader) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        return ""  # a broken info dictionary costs only the title
    return clean_line(title) if isinstance(title, str) else ""
