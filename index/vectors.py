"""The FAISS side of the store: an in-memory index of chunk vectors keyed by chunk id.

It is derived data. The file on disk carries a checksum and the SQLite generation it reflects, and
is replaced atomically; a missing, stale or corrupt file is rebuilt or caught up from SQLite by
`index.sync`. What this module leaves out: reading SQLite, and deciding when to rebuild.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"NEWSRAG-FAISS-1\n"


class VectorFileError(Exception):
    """The saved index cannot be used (missing, corrupt, or for another model)."""


@dataclass
class VectorIndex:
    """Exact inner-product search over L2-normalised vectors (cosine similarity)."""

    dim: int
    index: object  # faiss.IndexIDMap2
    generation: int = 0
    max_id: int = 0

    @classmethod
    def empty(cls, dim: int) -> "VectorIndex":
        import faiss

        return cls(dim=dim, index=faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
        self.max_id = max(self.max_id, int(np.max(ids)))

    def remove(self, ids: np.ndarray) -> int:
        if len(ids) == 0:
            return 0
        return int(self.index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest chunk ids to one query vector, best first, with cosine scores."""
        if self.count == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        scores, ids = self.index.search(q, min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never a torn one."""
        import faiss

        payload = faiss.serialize_index(self.index).tobytes()
        header = {
            "dim": self.dim,
            "generation": self.generation,
            "max_id": self.max_id,
            "count": self.count,
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + json.dumps(header).encode() + b"\n")
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, dim: int) -> "VectorIndex":
        """Read a saved index, checking its checksum before FAISS parses a byte of it."""
        import faiss

        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise VectorFileError(f"{path}: missing") from None
        if not data.startswith(MAGIC):
            raise VectorFileError(f"{path}: not a newsrag vector file")
        try:
            line_end = data.index(b"\n", len(MAGIC))
            header = json.loads(data[len(MAGIC) : line_end])
            payload = data[line_end + 1 :]
        except (ValueError, json.JSONDecodeError):
            raise VectorFileError(f"{path}: unreadable header") from None
        if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
            raise VectorFileError(f"{path}: checksum mismatch (file is corrupt)")
        if header.get("dim") != dim:
            raise VectorFileError(f"{path}: built for {header.get('dim')} dimensions, not {dim}")
        index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        if not isinstance(index, faiss.IndexIDMap2):
            index = faiss.downcast_index(index)
        loaded = cls(dim=dim, index=index, generation=int(header["generation"]), max_id=int(header["max_id"]))
        if loaded.count != header.get("count"):
            raise VectorFileError(f"{path}: holds {loaded.count} vectors, header says {header.get('count')}")
        return loaded
