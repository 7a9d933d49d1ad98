"""The FAISS side of the store: an in-memory index of chunk vectors keyed by chunk id.

Two layouts: exact search (``IndexIDMap2`` over ``IndexFlatIP``) for ordinary stores, and an
approximate inverted-file index (``IndexIVFFlat`` with a hash-table id map, so vectors can still be
added and removed by chunk id) for stores past the size threshold. Both search cosine similarity
over L2-normalised vectors. `VectorIndex` serialises its own operations with a lock, so one thread
can catch it up while others search it.

It is derived data, rebuilt or caught up from SQLite by `index.sqlite.faiss_sync`. What this module leaves out:
the file it is saved to (index.sqlite.vector_file), reading SQLite, and deciding when to rebuild or
change layout.
"""
from __future__ import annotations

import contextlib
import math
import threading
from typing import Any, Iterator

import numpy as np

EXACT = "exact"
IVF = "ivf"


class VectorIndex:
    """Inner-product search over L2-normalised vectors (cosine similarity), keyed by chunk id."""

    def __init__(self, dim: int, index: Any, generation: int = 0, max_id: int = 0,
                 trained_on: int = 0) -> None:
        self.dim = dim
        self._faiss = index
        self.generation = generation
        self.max_id = max_id
        # How many vectors the IVF layout was sized for; 0 for the exact layout.
        self.trained_on = trained_on
        self._lock = threading.RLock()

    # -- construction --------------------------------------------------------------------

    @classmethod
    def empty(cls, dim: int) -> "VectorIndex":
        """An exact index."""
        import faiss

        return cls(dim=dim, index=faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def approximate(cls, dim: int, training: np.ndarray, *, nlist: int, nprobe: int,
                    sized_for: int) -> "VectorIndex":
        """An empty IVF-Flat index whose ``nlist`` centroids are trained on ``training``."""
        import faiss

        training = np.ascontiguousarray(training, dtype=np.float32).reshape(-1, dim)
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.spherical = True  # unit-length centroids: the vectors are compared by cosine
        ivf.cp.seed = 1234  # the same sample gives the same centroids in every process
        ivf.train(training)
        # A hash-table direct map lets vectors be removed and reconstructed by chunk id.
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.nprobe = nprobe
        # (faiss's Python wrapper keeps `quantizer` alive as long as `ivf`.)
        return cls(dim=dim, index=ivf, trained_on=sized_for)

    # -- properties ----------------------------------------------------------------------

    @property
    def layout(self) -> str:
        return IVF if self.trained_on else EXACT

    @property
    def nlist(self) -> int:
        return int(getattr(self._faiss, "nlist", 0) or 0)

    @property
    def nprobe(self) -> int:
        return int(getattr(self._faiss, "nprobe", 0) or 0)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        with self._lock:
            self._faiss.nprobe = int(value)

    @property
    def count(self) -> int:
        return int(self._faiss.ntotal)

    @property
    def index(self) -> "_Guarded":
        """The FAISS object, with every method call taken under this index's lock."""
        return _Guarded(self._faiss, self._lock)

    # -- operations ----------------------------------------------------------------------

    def ids(self) -> np.ndarray:
        import faiss

        with self._lock:
            if self.layout == EXACT:
                return faiss.vector_to_array(self._faiss.id_map).astype(np.int64)
            lists = self._faiss.invlists
            parts = [
                faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                for i in range(self._faiss.nlist) if lists.list_size(i)
            ]
            return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with self._lock:
            self._faiss.add_with_ids(vectors, ids)
            self.max_id = max(self.max_id, int(np.max(ids)))

    def remove(self, ids: np.ndarray) -> int:
        import faiss

        if len(ids) == 0:
            return 0
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with self._lock:
            if self.layout == EXACT:
                return int(self._faiss.remove_ids(ids))
            # The hash-table direct map only removes through an explicit id array.
            return int(self._faiss.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))

    def search(self, query: np.ndarray, k: int, among: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k nearest chunk ids to one query vector, best first, with cosine scores.

        ``among`` restricts the search to those chunk ids, inside FAISS (an ID selector), so the
        k best of a small subset come back however many better vectors lie outside it; an
        approximate index then probes every list, since the subset may sit in any of them.
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            if self.count == 0:
                return []
            if among is None:
                scores, ids = self._faiss.search(q, min(k, self.count))
            else:
                import faiss

                if len(among) == 0:
                    return []
                selector = faiss.IDSelectorBatch(np.ascontiguousarray(among, dtype=np.int64))
                params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.nlist) if self.trained_on
                          else faiss.SearchParameters(sel=selector))
                scores, ids = self._faiss.search(q, min(k, len(among)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def reconstruct(self, chunk_id: int) -> np.ndarray | None:
        """The stored vector of one chunk, or None when the index does not hold it."""
        with self._lock:
            try:
                return self._faiss.reconstruct(int(chunk_id))
            except RuntimeError:
                return None

    @contextlib.contextmanager
    def locked(self) -> Iterator[Any]:
        """The raw FAISS object, held under this index's lock (for serialising it whole)."""
        with self._lock:
            yield self._faiss


def ivf_shape(count: int) -> tuple[int, int]:
    """(nlist, nprobe) for an IVF index sized for ``count`` vectors.

    nlist ~ sqrt(count) keeps k-means training to seconds at the default threshold (a larger
    nlist would make queries cheaper but training much longer on a laptop); nprobe = nlist / 8
    (at least 16) scans about an eighth of the vectors. bench/ann.py measured recall@10 against
    exact search of 0.98 at 100k and 0.97 at 1M synthetic vectors calibrated on real embeddings,
    and 0.975 on real all-MiniLM-L6-v2 embeddings of rtqa-dev with its real questions (36k).
    """
    nlist = int(min(4096, max(8, round(math.sqrt(max(count, 1))))))
    return nlist, min(nlist, max(16, nlist // 8))


class _Guarded:
    """A FAISS object whose methods run under a lock (for callers that use `VectorIndex.index`)."""

    def __init__(self, raw: Any, lock: threading.RLock) -> None:
        self._raw = raw
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._raw, name)
        if not callable(attr):
            return attr
        lock = self._lock

        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return attr(*args, **kwargs)

        return locked
