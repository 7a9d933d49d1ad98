"""Embed `add`'s chunks on a Ray cluster with Ray Data (`newsrag add --ray [ADDRESS]`, newsrag[ray]).

Reading, skipping what is stored and chunking stay in this process (rag.ingest); so does the
one writer. The chunk texts of a window of batches become a Ray dataset, ``map_batches`` runs
the embedding model in a pool of actors (each loads the model once; one GPU per actor when the
cluster has GPUs), and the embedded rows stream back in order, so each batch is committed as
soon as its last row arrives, as a plain `add` commits it. A killed driver or worker loses only
batches not yet committed; rerunning the same `add` skips what was.

Without an address a local Ray instance is started with ``workers`` CPUs and stopped at the
end. On a cluster, every node needs newsrag and the embedding model's package installed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from rag.errors import ConfigError
from rag.ingest import Plan

# Chunks per Ray dataset. Each dataset starts its own actor pool, and so loads the model once
# per actor: a window this size keeps that to a few percent of the work on CPUs, while the
# driver holds at most about 30 MB of chunk text and 50 MB of vectors for it.
WINDOW_CHUNKS = 32768


class _EmbedActor:
    """One model per actor, loaded once; called with batches of rows."""

    def __init__(self, model: str, batch_size: int) -> None:
        from rag.embedding import SentenceTransformerEmbedder

        self.embedder = SentenceTransformerEmbedder(model, batch_size)

    def __call__(self, batch: dict) -> dict:
        vectors = self.embedder.embed([str(t) for t in batch["text"]])
        return {"pos": batch["pos"], "vector": list(vectors)}


class RayEmbedStream:
    """An `EmbedStream` for `Ingestor`: the plans' texts embedded by Ray Data actors."""

    def __init__(self, model: str, *, address: str | None = None, workers: int = 2,
                 batch_size: int = 64, window_chunks: int = WINDOW_CHUNKS) -> None:
        if workers < 1:
            raise ConfigError(f"--ray-workers {workers}: must be at least 1")
        self.model = model
        self.address = address
        self.workers = workers
        self.batch_size = batch_size
        self.window_chunks = window_chunks
        self.gpus = 0.0

    def __call__(self, plans: Iterable[Plan]) -> Iterator[tuple[Plan, np.ndarray]]:
        ray = _ray()
        started_here = False
        try:
            window: list[Plan] = []
            size = 0
            for plan in plans:
                window.append(plan)
                size += len(plan.texts)
                if size and not ray.is_initialized():  # only once there is something to embed
                    self._start(ray)
                    started_here = True
                if size >= self.window_chunks:
                    yield from self._embed_window(ray, window)
                    window, size = [], 0
            if window:
                yield from self._embed_window(ray, window)
        finally:
            if started_here:
                ray.shutdown()

    def _start(self, ray) -> None:
        import logging

        logging.getLogger("ray.data").setLevel(logging.WARNING)
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
            return
        # A local instance: its workers import this checkout of newsrag, whatever is installed.
        project = str(Path(__file__).resolve().parents[1])
        ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                 object_store_memory=256 * 1024 * 1024,
                 runtime_env={"env_vars": {"PYTHONPATH": project, "TOKENIZERS_PARALLELISM": "false"}})

    def _embed_window(self, ray, window: list[Plan]) -> Iterator[tuple[Plan, np.ndarray]]:
        texts = [t for plan in window for t in plan.texts]
        batches: Iterator[dict] = iter(())
        if texts:
            self.gpus = 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True
            context.enable_progress_bars = False
            # One block per model batch, so that every actor gets a share of a small window too.
            blocks = max(1, -(-len(texts) // self.batch_size))
            dataset = ray.data.from_items([{"pos": i, "text": t} for i, t in enumerate(texts)],
                                          override_num_blocks=blocks)
            embedded = dataset.map_batches(
                _EmbedActor, fn_constructor_args=(self.model, self.batch_size),
                batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=self.workers),
                num_gpus=self.gpus or None, num_cpus=None if self.gpus else 1,
                batch_format="numpy")
            batches = iter(embedded.iter_batches(batch_size=self.batch_size, batch_format="numpy"))
        # Rows come back in order: each plan is handed over as soon as its last row is here.
        buffer: list[np.ndarray] = []
        arrived = 0
        for plan in window:
            need = len(plan.texts)
            while len(buffer) < need:
                batch = next(batches)
                for pos, vector in zip(batch["pos"], batch["vector"]):
                    if int(pos) != arrived:
                        raise RuntimeError(f"Ray Data returned chunk {int(pos)} where {arrived} was expected")
                    arrived += 1
                    buffer.append(np.asarray(vector, dtype=np.float32))
            fresh = np.vstack(buffer[:need]) if need else np.zeros((0, 0), dtype=np.float32)
            del buffer[:need]
            yield plan, fresh


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError("--ray needs Ray Data: pip install 'newsrag[ray]' (or scripts/install.sh --ray)") from None
    return ray
