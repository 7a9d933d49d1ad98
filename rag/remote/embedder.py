"""An ``Embedder`` over an OpenAI-compatible ``/embeddings`` endpoint (the ``embed_url`` setting).

The vectors must be those of the model the store was built with, or search silently returns
nonsense. So the server is checked on first use, not trusted: its name is the ``embed_model``
setting (which the store already compares with the one it recorded), and before the first
vector is used, one chunk already in the store is embedded again through the server and compared
with its stored vector: a different width, or a cosine similarity under ``MIN_AGREEMENT``, is
refused with a message saying what differs. Servers that return one vector per token (no pooling)
are refused too. Vectors are L2-normalised like the local embedder's.
Not here: HTTP details (``rag.remote.http``).
"""
from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from rag.embedding import Sample
from rag.errors import ModelError
from rag.remote.http import ServerClient

MIN_AGREEMENT = 0.99  # cosine between a stored vector and the server's for the same text


class OpenAIEmbedder:
    """Embeddings from a server; thread-safe; checked against the store on first use."""

    def __init__(self, base_url: str, name: str, *, api_key: str, connect_timeout: float, read_timeout: float,
                 retries: int, batch_size: int,
                 transport: Any = None) -> None:
        self.server = ServerClient(base_url, api_key=api_key, connect_timeout=connect_timeout,
                                   read_timeout=read_timeout, retries=retries, transport=transport)
        self.name = name
        self.batch_size = batch_size
        self.reference: Sample | None = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    def check_against(self, sample: Sample) -> None:
        """Compare the server's vector for a stored chunk with the stored one (``sample`` gives it),
        before the first vector is used: a different width or direction is a ModelError."""
        with self._lock:
            self.reference = sample

    @property
    def dim(self) -> int:
        self._checked()
        if self._dim is None:
            self._dim = self._request(["dimension probe"]).shape[1]
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self._checked()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._request(list(texts[i:i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(parts)

    def _checked(self) -> None:
        with self._lock:
            if self.reference is None:
                return
            sample = self.reference()
            if sample is not None:
                text, stored = sample
                got = self._request([text])[0]
                where = self.server.url("/embeddings")
                if got.shape != stored.shape:
                    raise ModelError(f"embedding server {where} returns {got.shape[0]}-wide vectors, but the "
                                     f"store's are {stored.shape[0]}-wide ({self.name}): point embed_url at a "
                                     "server of that model, or use another data directory")
                agreement = float(got @ stored / (np.linalg.norm(stored) or 1.0))
                if agreement < MIN_AGREEMENT:
                    raise ModelError(f"embedding server {where} does not reproduce the store's vectors (cosine "
                                     f"{agreement:.3f} on a stored chunk, {MIN_AGREEMENT} needed): it is not "
                                     f"serving {self.name}, the store's embedding model")
                self._dim = got.shape[0]
            self.reference = None

    def _request(self, texts: list[str]) -> np.ndarray:
        where = self.server.url("/embeddings")
        body = self.server.post_json("/embeddings", {"model": self.name, "input": texts})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) != len(texts):
            raise ModelError(f"embedding server {where} sent {len(data) if isinstance(data, list) else 'no'} "
                             f"vectors for {len(texts)} texts")
        rows = [item.get("embedding") if isinstance(item, dict) else None
                for item in sorted(data, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)]
        if any(isinstance(row, list) and row and isinstance(row[0], list) for row in rows):
            raise ModelError(f"embedding server {where} returns one vector per token, not one per text: "
                             "start it with pooling (llama-server --embeddings --pooling mean)")
        try:
            vectors = np.asarray(rows, dtype=np.float32)
        except (TypeError, ValueError):
            raise ModelError(f"embedding server {where} sent vectors of uneven width or non-numbers") from None
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise ModelError(f"embedding server {where} sent no usable vectors")
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise ModelError(f"embedding server {where} changed width from {self._dim} to {vectors.shape[1]}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)
