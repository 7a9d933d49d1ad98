"""The vector file: a FAISS index on disk with a checksummed header, replaced atomically.

Layout: a magic line, then a JSON header padded to ``HEADER_BYTES`` (dimensions, the SQLite
generation and highest chunk id the index reflects, its vector count and layout, and the sha256
of the payload), then FAISS's own serialisation of the index. The header is padded to a fixed
size so that its checksum can be written after the payload has been streamed out; files written
before the padding existed (a tight header) still load. The payload is streamed to and from disk,
so saving or loading needs no second copy of the index in memory, and the checksum is checked
before FAISS parses a byte. Saving goes through index.atomic (temporary file, fsync, rename,
fsync of the folder). Not here: the index itself (index.sqlite.vectors), or deciding when a file is
stale and what to do about it (index.sqlite.faiss_sync).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from index.atomic import atomic_file
from index.sqlite.vectors import VectorIndex

MAGIC = b"NEWSRAG-FAISS-1\n"
HEADER_BYTES = 1024
_READ_CHUNK = 1 << 20


class VectorFileError(Exception):
    """The saved index cannot be used (missing, corrupt, or for another model)."""


def save(index: VectorIndex, path: Path) -> None:
    """Write ``index`` to ``path`` atomically: a reader sees the old file or the new one, never a torn one."""
    import faiss

    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    # The writer's pid in the name tells _remove_orphans which leftovers are safe to delete.
    with atomic_file(path, prefix=f"{path.name}.{os.getpid()}.", suffix=".tmp") as out:
        out.write(b"\0" * HEADER_BYTES)  # placeholder: the checksum is known only at the end
        digest = hashlib.sha256()

        def write(chunk: bytes) -> int:
            digest.update(chunk)
            out.write(chunk)
            return len(chunk)

        with index.locked() as raw:
            faiss.write_index(raw, faiss.PyCallbackIOWriter(write))
            header = {
                "dim": index.dim,
                "generation": index.generation,
                "max_id": index.max_id,
                "count": index.count,
                "layout": index.layout,
                "trained_on": index.trained_on,
                "nprobe": index.nprobe,
                "sha256": digest.hexdigest(),
            }
        out.seek(0)
        out.write(_header_block(header))


def peek(path: Path) -> dict | None:
    """The header of a saved index (layout, size, generation), or None; the payload is not read."""
    try:
        with path.open("rb") as f:
            head = f.read(len(MAGIC) + HEADER_BYTES)
        if not head.startswith(MAGIC):
            return None
        header = json.loads(head[len(MAGIC) : head.index(b"\n", len(MAGIC))])
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def load(path: Path, dim: int) -> VectorIndex:
    """Read a saved index, checking its checksum before FAISS parses a byte of it."""
    import faiss

    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise VectorFileError(f"{path}: missing") from None
    except OSError as exc:
        raise VectorFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    # One open file for both passes: a writer replacing the file meanwhile cannot mix them.
    with f:
        head = f.read(len(MAGIC) + HEADER_BYTES)
        if not head.startswith(MAGIC):
            raise VectorFileError(f"{path}: not a newsrag vector file")
        try:
            line_end = head.index(b"\n", len(MAGIC))
            header = json.loads(head[len(MAGIC) : line_end])
            expected = str(header["sha256"])
            generation, max_id = int(header["generation"]), int(header["max_id"])
            trained_on, nprobe = int(header.get("trained_on", 0)), int(header.get("nprobe", 0))
        except (ValueError, KeyError, TypeError):
            raise VectorFileError(f"{path}: unreadable header") from None
        start = line_end + 1
        f.seek(start)
        digest = hashlib.sha256()
        for block in iter(lambda: f.read(_READ_CHUNK), b""):
            digest.update(block)
        if digest.hexdigest() != expected:
            raise VectorFileError(f"{path}: checksum mismatch (file is torn or corrupt)")
        if header.get("dim") != dim:
            raise VectorFileError(f"{path}: built for {header.get('dim')} dimensions, not {dim}")
        f.seek(start)
        try:
            raw = faiss.read_index(faiss.PyCallbackIOReader(f.read))
        except RuntimeError as exc:
            raise VectorFileError(f"{path}: FAISS cannot read it: {str(exc).splitlines()[0][:200]}") from None
    if trained_on and not isinstance(raw, faiss.IndexIVFFlat):
        raise VectorFileError(f"{path}: header says IVF but the payload is {type(raw).__name__}")
    if not trained_on and not isinstance(raw, faiss.IndexIDMap2):
        raise VectorFileError(f"{path}: header says exact but the payload is {type(raw).__name__}")
    if raw.d != dim:
        raise VectorFileError(f"{path}: payload has {raw.d} dimensions, not {dim}")
    loaded = VectorIndex(dim=dim, index=raw, generation=generation, max_id=max_id, trained_on=trained_on)
    if trained_on and nprobe:
        loaded.nprobe = nprobe
    if loaded.count != header.get("count"):
        raise VectorFileError(f"{path}: holds {loaded.count} vectors, header says {header.get('count')}")
    return loaded


def _header_block(header: dict) -> bytes:
    text = json.dumps(header).encode()
    room = HEADER_BYTES - len(MAGIC) - 1
    if len(text) > room:
        raise ValueError(f"vector file header is {len(text)} bytes, more than {room}")
    return MAGIC + text.ljust(room) + b"\n"


def _remove_orphans(path: Path) -> None:
    """Delete temporary files left by writers that were killed mid-save (their pid is gone)."""
    for tmp in path.parent.glob(f"{path.name}.*.tmp"):
        parts = tmp.name[len(path.name) + 1 :].split(".")
        if not parts or not parts[0].isdigit():
            continue
        if not _alive(int(parts[0])):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
