"""Check uploaded files and copy them into the data directory's upload folder.

Browsers send a bare file name, but nothing obliges a client to: a name is cut to its last path
component (either slash), stripped of control and punctuation characters and of leading dots,
then checked for an allowed suffix (the formats ``newsrag add`` reads) and the upload size limit
before anything is copied. Files land in ``<data_dir>/uploads/`` under that safe name, written to
a temporary file and renamed over the target (index.atomic), so a symlink planted under the name
is replaced rather than followed. An upload with the name of an earlier one replaces it, as
re-adding an edited file does.

A manifest (``.manifest.json`` in that folder) records which document ids each upload produced;
``prune_uploads`` deletes the uploads none of whose documents is still indexed (it failed to
parse, held only duplicates, or its documents were removed), so the folder does not keep what
the index no longer has. Files it has no record of (from an older newsrag) are left alone.
Not here: reading or indexing the files (rag.loaders, rag.ingest).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import unicodedata
from pathlib import Path, PurePath
from typing import Collection, Mapping

from index.atomic import atomic_file
from rag.loaders import SUPPORTED_SUFFIXES
from rag.loaders.reading import MB, format_size

ALLOWED_SUFFIXES: tuple[str, ...] = SUPPORTED_SUFFIXES
MAX_NAME = 120  # characters; long enough for real titles, short of any file system's limit
_SPACES = re.compile(r"\s+")
_COPY_BUFFER = 1024 * 1024
MANIFEST = ".manifest.json"


class UploadRejected(ValueError):
    """An upload refused before it was read; the message says why, for the person uploading."""


def uploads_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "uploads"


def safe_basename(name: str) -> str:
    """A file name that is one plain path component: ``../../x.md`` -> ``x.md``; may be empty."""
    name = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").split("/")[-1]
    # Letters and digits of any script stay; everything else that could mean something to a
    # shell, a file system or a URL becomes "_".
    name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name)
    name = _SPACES.sub(" ", name).strip(" ").lstrip(".-").rstrip(". ")
    if len(name) > MAX_NAME:
        suffix = PurePath(name).suffix[:16]
        name = name[: MAX_NAME - len(suffix)].rstrip(". ") + suffix
    return name


def validate_upload(name: str, size: int, max_mb: float) -> str:
    """The safe name to store an upload under, or ``UploadRejected`` saying what is wrong."""
    safe = safe_basename(name)
    if not safe or not PurePath(safe).stem:
        raise UploadRejected("the file name has nothing usable in it")
    suffix = PurePath(safe).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadRejected(f"unsupported file type {suffix or '(no extension)'!r}; "
                             f"allowed: {', '.join(ALLOWED_SUFFIXES)}")
    limit = int(max_mb * MB)
    if size > limit:
        raise UploadRejected(f"the file is {format_size(size)}, over the {format_size(limit)} upload limit")
    return safe


def store_upload(source: Path, safe_name: str, folder: Path, max_bytes: int) -> Path:
    """Copy ``source`` to ``folder/safe_name`` (replacing an older upload of that name)."""
    if safe_basename(safe_name) != safe_name or not safe_name:
        raise UploadRejected(f"not a safe file name: {safe_name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name
    if os.path.dirname(os.path.abspath(target)) != os.path.abspath(folder):
        raise UploadRejected(f"not a safe file name: {safe_name!r}")
    copied = 0
    with open(source, "rb") as src, atomic_file(target, prefix=".upload-", suffix=".part") as dst:
        # Counted while copying: the size checked earlier came from a stat and may be stale.
        while block := src.read(_COPY_BUFFER):
            copied += len(block)
            if copied > max_bytes:
                raise UploadRejected(f"the file is over the {format_size(max_bytes)} upload limit")
            dst.write(block)
    return target


def unique_names(names: list[str]) -> list[str]:
    """Names made distinct within one batch: a second ``a.md`` becomes ``a-2.md``."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            path = PurePath(name)
            candidate = f"{path.stem}-{n}{path.suffix}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out



def record_uploads(folder: Path, produced: Mapping[str, Collection[str]]) -> None:
    """Note which document ids each stored upload (by file name) produced, replacing older notes."""
    manifest = _read_manifest(folder)
    manifest.update({name: sorted(ids) for name, ids in produced.items()})
    _write_manifest(folder, manifest)


def prune_uploads(folder: Path, indexed_ids: Collection[str]) -> list[str]:
    """Delete recorded uploads none of whose documents is in ``indexed_ids``; return their names."""
    manifest = _read_manifest(folder)
    live = set(indexed_ids)
    gone = [name for name, ids in manifest.items() if not live.intersection(ids)]
    for name in gone:
        # The manifest is ours, but its names are checked like any other before touching a file.
        if safe_basename(name) == name and name != MANIFEST:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / name)
        del manifest[name]
    if gone:
        _write_manifest(folder, manifest)
    return gone


def _read_manifest(folder: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}  # none yet, or damaged: forgetting it only keeps files longer
    return {str(k): [str(i) for i in v] for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}


def _write_manifest(folder: Path, manifest: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_file(folder / MANIFEST, prefix=".manifest-", suffix=".part") as out:
        out.write(json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
