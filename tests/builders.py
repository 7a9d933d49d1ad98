"""Small builders shared by tests: a store on a temporary folder, prepared documents."""
from __future__ import annotations

from pathlib import Path

from fakes import HashEmbedder
from index.records import Document, PreparedDocument
from index.store import Store
from rag.chunking import Chunker
from rag.limits import Limits

EMB = HashEmbedder(32)


def prepared(doc_id: str, text: str, title: str = "T") -> PreparedDocument:
    doc = Document(doc_id, title, text, source=f"{doc_id}.txt")
    chunks = tuple(Chunker(120, 20).split(doc))
    return PreparedDocument(doc, f"hash-{doc_id}-{len(text)}", chunks, EMB.embed([c.text for c in chunks]),
                            tuple(f"t{i}" for i in range(len(chunks))))


def open_store(folder: Path, model: str = "hash-embedder") -> Store:
    return Store(folder / "db.sqlite", folder / "vectors.faiss", embed_model=model, dim=EMB.dim)


def limits(**changes: int) -> "Limits":
    """The default limits (as `newsrag` builds them from its settings), with ``changes``."""
    import dataclasses

    from rag.settings import Settings
    from rag.wiring import limits as from_settings

    return dataclasses.replace(from_settings(Settings()), **changes)
