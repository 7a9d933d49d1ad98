"""Read a file's bytes under a size limit and decode them as UTF-8, with errors a person can act on.

Shared by the per-format loaders. Every failure is an ``InputError`` naming the file (and the line
when there is one). Nothing here interprets the content: front matter, JSON and markup belong to
the format modules, and text clean-up to ``rag.loaders.cleaning``.
"""
from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from rag.errors import InputError

MB = 1024 * 1024  # the unit of ``Settings.max_file_mb`` (the caller multiplies by this)
_KB = 1024


def format_size(n_bytes: int) -> str:
    """``60.2 MB``, ``12 KB``, ``300 bytes``: one decimal at most, ``.0`` dropped."""
    for unit, size in (("MB", MB), ("KB", _KB)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n_bytes} bytes" if n_bytes != 1 else "1 byte"


def too_big(path: str | Path, size: int, limit: int, *, what: str = "file", line: int | None = None) -> InputError:
    """``file is 60.2 MB, over the 50 MB limit``; exact byte counts when rounding would hide it."""
    shown, shown_limit = format_size(size), format_size(limit)
    if shown == shown_limit:
        shown, shown_limit = f"{size:,} bytes", f"{limit:,} byte"
    return InputError(path, f"{what} is {shown}, over the {shown_limit.removesuffix('s')} limit", line=line)


def too_long(path: str | Path, limit: int, *, line: int | None = None, where: str = "") -> InputError:
    """``text is over the 2,000,000-character limit (max_text_chars)``, optionally saying where."""
    return InputError(path, f"text is over the {limit:,}-character limit (max_text_chars){where}: "
                            "split the file, or raise the limit", line=line)


def check_text_length(path: str | Path, text: str, limit: int | None, *, line: int | None = None) -> str:
    """``text``, or ``too_long`` when it has more than ``limit`` characters (None: no limit)."""
    if limit is not None and len(text) > limit:
        raise too_long(path, limit, line=line)
    return text


def check_regular_file(path: Path) -> int:
    """Return the file's size; refuse folders, FIFOs and devices.

    Checked before ``open()`` because opening a FIFO blocks until someone writes to it.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file or folder") from None
    except PermissionError:
        raise InputError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, "not a regular file")
    return st.st_size


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The whole file, refusing files over ``max_bytes`` and empty (or whitespace-only) files."""
    size = check_regular_file(path)
    if size > max_bytes:
        raise too_big(path, size, max_bytes)
    try:
        with path.open("rb") as f:
            # Read one byte past the limit: the file may have grown since stat().
            data = f.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise too_big(path, os.fstat(f.fileno()).st_size, max_bytes)
    except PermissionError:
        raise InputError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(path, "file is empty")
    return data


def check_not_binary(path: str | Path, head: bytes) -> None:
    """Refuse UTF-16 and binary data, which would otherwise surface as a confusing UTF-8 error."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(path, "file is UTF-16, not UTF-8: save it as UTF-8")
    if b"\x00" in head:
        raise InputError(path, "looks like a binary file (it contains NUL bytes)")


def decode_utf8(path: str | Path, data: bytes, *, first_line: int = 1) -> str:
    """Decode UTF-8 (a leading BOM is dropped); the error names the line and the offending byte.

    ``first_line`` is the line number of ``data``'s first line, for callers decoding one line of a
    larger file.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise InputError(path, f"not valid UTF-8 (byte 0x{data[exc.start]:02X}): save it as UTF-8", line=line) from None


def read_utf8(path: Path, max_bytes: int) -> str:
    """Read and decode a text file: size limit, empty, binary and UTF-8 checks in that order."""
    data = read_bytes(path, max_bytes)
    check_not_binary(path, data)
    return decode_utf8(path, data)
