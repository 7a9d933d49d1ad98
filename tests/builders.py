"""Small builders shared by tests: a store on a temporary folder, prepared documents, and the
pipeline's parts built from `Settings` defaults (changed where a test says), never from literals."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from fakes import HashEmbedder
from index.records import Document, PreparedDocument
from index.sqlite.store import SqliteStore
from rag.chunking import Chunker
from rag.settings import Settings
from rag import wiring
from rag.limits import Limits

EMB = HashEmbedder(32)


def prepared(doc_id: str, text: str, title: str = "T") -> PreparedDocument:
    doc = Document(doc_id, title, text, source=f"{doc_id}.txt")
    chunks = tuple(Chunker(120, 20).split(doc))
    return PreparedDocument(doc, f"hash-{doc_id}-{len(text)}", chunks, EMB.embed([c.text for c in chunks]),
                            tuple(f"t{i}" for i in range(len(chunks))))


def open_store(folder: Path, model: str = "hash-embedder") -> SqliteStore:
    return SqliteStore(folder / "db.sqlite", folder / "vectors.faiss", embed_model=model, dim=EMB.dim)


_SETTINGS = {f.name for f in fields(Settings)}


def defaults(**changes: Any) -> Settings:
    """The default settings with ``changes`` (validated as `Settings.replace` does)."""
    return Settings().replace(**changes)


def _split(changes: dict[str, Any]) -> tuple[Settings, dict[str, Any]]:
    """``changes`` as settings, and the rest (``seed``, ``transport``...) as constructor arguments."""
    return (defaults(**{k: v for k, v in changes.items() if k in _SETTINGS}),
            {k: v for k, v in changes.items() if k not in _SETTINGS})


def server_generator(url: str, **changes: Any):
    """An `OpenAIGenerator` at ``url`` as rag.wiring builds it from settings with ``changes``."""
    settings, extra = _split(changes)
    return wiring.server_generator(url, settings, **extra)


def server_embedder(url: str, **changes: Any):
    """An `OpenAIEmbedder` at ``url`` as rag.wiring builds it from settings with ``changes``."""
    settings, extra = _split(changes)
    return wiring.server_embedder(url, settings, **extra)


def retriever(store, embedder, **changes: Any):
    """A `Retriever` as rag.wiring builds it from settings with ``changes``."""
    return wiring.make_retriever(store, embedder, defaults(**changes))


def limits(**changes: int) -> "Limits":
    """The default limits (as `newsrag` builds them from its settings), with ``changes``."""
    import dataclasses

    return dataclasses.replace(wiring.limits(Settings()), **changes)
