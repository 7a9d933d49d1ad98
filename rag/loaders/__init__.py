"""Turn files and folders into ``Document`` records, one bad file never stopping the batch.

``load_paths`` walks what it is given and yields a ``Document`` per article, or an
``InputError`` (``path:line: problem``) per file or JSONL line that cannot be read. It does not
raise for bad content, only for programming errors or a missing parser library (ImportError
with an install hint). Formats live in one module each: ``text`` (.txt, .md), ``html``
(.html, .htm), ``jsonl`` and ``pdf``. What happens next (chunking, ids already in the store,
duplicate ids within a batch) is the caller's business.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from index.records import Document
from rag.errors import InputError
from rag.limits import Limits
from rag.loaders.html import load_html
from rag.loaders.jsonl import load_jsonl
from rag.loaders.pdf import load_pdf
from rag.loaders.reading import MB
from rag.loaders.text import load_text

__all__ = ["MB", "SUPPORTED_SUFFIXES", "load_paths"]

_SINGLE: dict[str, Callable[..., Document]] = {
    ".txt": load_text,
    ".md": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(sorted([*_SINGLE, ".jsonl"]))


def load_paths(paths: Iterable[Path], limits: Limits) -> Iterator[Document | InputError]:
    """Yield a ``Document`` or an ``InputError`` for each article found under ``paths``.

    Folders are walked recursively in name order, skipping hidden entries and files whose
    extension is not in ``SUPPORTED_SUFFIXES``; a file named explicitly must be supported.
    A file reached twice (named and inside a named folder) is read once. ``limits.file_bytes``
    limits each file, and each line of a JSONL file (those are streamed, so not the whole file).
    ``limits.text_chars`` limits the text taken from each file or JSONL line: a compressed PDF can
    hold far more text than its size suggests, and reading stops once the limit is passed. Ids,
    titles and URLs a person wrote (JSONL fields, front matter) over their limits are refused at
    their line; the Ingestor checks every document again (rag.limits).
    """
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates: Iterable[Path | InputError] = _walk(path)
        elif not os.path.lexists(path):
            yield InputError(path, "no such file or folder")
            continue
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            yield InputError(path, f"unsupported file type {path.suffix or '(no extension)'!r}; "
                                   f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
            continue
        else:
            candidates = [path]
        for item in candidates:
            if isinstance(item, InputError):
                yield item
                continue
            key = _identity(item)
            if key in seen:
                continue
            seen.add(key)
            yield from _load_file(item, limits)


def _load_file(path: Path, limits: Limits) -> Iterator[Document | InputError]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from load_jsonl(path, limits)
        return
    try:
        yield _SINGLE[suffix](path, limits)
    except InputError as err:
        yield err


def _walk(folder: Path) -> Iterator[Path | InputError]:
    """Supported files under ``folder``, depth first in name order; hidden entries skipped.

    Symlinked folders are not entered (a link back up the tree would loop forever); symlinked
    files are read.
    """
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield InputError(folder, f"cannot list the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path)
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # symlink loop: fall back to the name as given
        return path.absolute()
