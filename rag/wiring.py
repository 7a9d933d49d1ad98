"""Assemble newsrag from settings: the one place where models and the store are chosen.

`build` creates the store, embedder, ingestor, retriever and pipeline; tests pass fakes for the
embedder and generator here and nowhere else. Models stay unloaded until first used, so `newsrag
list` is instant and `newsrag add` never loads the language model.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.store import Store
from rag.chunking import Chunker
from rag.embedding import Embedder, SentenceTransformerEmbedder
from rag.generation import Generator, LlamaGenerator
from rag.ingest import IngestReport, Ingestor
from rag.model_files import resolve_model
from rag.pipeline import Pipeline
from rag.retrieval import Retriever
from rag.settings import Settings

_SEEDED = "corpus_indexed"


@dataclass
class Newsrag:
    settings: Settings
    store: Store
    embedder: Embedder
    ingestor: Ingestor
    retriever: Retriever
    pipeline: Pipeline

    def index_shipped_corpus(self, progress=None) -> IngestReport | None:
        """On the first run of a data directory, index the shipped ``corpus/`` folder once."""
        corpus = self.settings.corpus_dir
        if not self.settings.index_corpus_on_first_run or self.store.meta(_SEEDED) or not corpus.is_dir():
            return None
        report = self.ingestor.add([corpus], progress)
        if not report.errors:
            self.store.set_meta(_SEEDED, str(corpus))
        return report


def build(settings: Settings, *, embedder: Embedder | None = None,
          generator: Generator | None = None) -> Newsrag:
    embedder = embedder or SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)
    store = Store(settings.db_path, settings.faiss_path, embed_model=embedder.name,
                  dim=lambda: embedder.dim, ann_threshold=settings.ann_threshold)
    chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
    ingestor = Ingestor(store, embedder, chunker, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    retriever = Retriever(store, embedder, mode=settings.retriever, top_k=settings.top_k,
                          candidates=settings.candidates, rrf_k=settings.rrf_k)
    get_generator = (lambda: generator) if generator is not None else _lazy_llama(settings)
    pipeline = Pipeline(retriever, embedder, get_generator, min_evidence=settings.min_evidence,
                        context_chars=settings.context_chars, model_name=_model_label(settings.model))
    return Newsrag(settings, store, embedder, ingestor, retriever, pipeline)


def _lazy_llama(settings: Settings) -> Callable[[], Generator]:
    lock = threading.Lock()
    made: list[Generator] = []

    def get() -> Generator:
        with lock:
            if not made:
                path = resolve_model(settings.model, settings.cache_dir)
                made.append(LlamaGenerator(path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                                           max_tokens=settings.max_tokens, temperature=settings.temperature,
                                           flash_attn=settings.flash_attn))
            return made[0]

    return get


def _model_label(spec: str) -> str:
    return Path(spec).name if spec.endswith(".gguf") else spec
