"""Durable file replacement: write a temporary file beside the target, fsync it, rename it over
the target, fsync the folder.

A reader sees the old file or the complete new one, never a torn one, and after a crash the
rename is either on disk or not. Used for the vector file (index.sqlite.vector_file), assembled model
files (rag.model_files) and uploads (rag.uploads). Not here: what goes into the file, or locking
between writers (callers that race for one target hold their own lock).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


@contextlib.contextmanager
def atomic_file(path: Path, *, prefix: str, suffix: str = ".tmp",
                mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``path`` when the block ends without an error.

    The temporary file is ``<folder>/<prefix>XXXX<suffix>`` (so callers can recognise their own
    leftovers); ``mode`` sets its permissions (mkstemp makes it private, 0600). An exception in the
    block removes the temporary file and leaves ``path`` as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_path(path: Path) -> None:
    """fsync a file (or folder) by name; raises OSError, FileNotFoundError when it is missing."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fsync_path(folder)
