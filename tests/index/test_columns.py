"""The documents table's columns are named once (index/columns.py), and read back by name."""
from __future__ import annotations

import re
from pathlib import Path

from builders import EMB, open_store
from index.records import Document, PreparedDocument
from rag.chunking import Chunker

INDEX = Path(__file__).resolve().parents[2] / "index"


def test_document_columns_are_listed_once():
    texts = {p.relative_to(INDEX).as_posix(): p.read_text(encoding="utf-8") for p in INDEX.rglob("*.py")}
    assert [name for name, text in texts.items() if "INSERT INTO documents" in text] == ["columns.py"]
    # Reads of several columns go by name; only single-value reads index a row.
    assert not re.search(r"\brow\[[1-9]|\*row\b", texts["document_reads.py"])


def test_every_document_field_round_trips_by_name(tmp_path):
    doc = Document("d1", "A title", "Ferries resumed on Monday. The harbour reopened.", source="f.jsonl:3",
                   url="https://example.org/a", published="2024-05-01", author="A. Writer", site="The Paper")
    chunks = tuple(Chunker(120, 20).split(doc))
    prepared = PreparedDocument(doc, "hash-d1", chunks, EMB.embed([c.text for c in chunks]),
                                tuple(f"t{i}" for i in range(len(chunks))), added_at="2024-05-02T10:00:00+00:00")
    store = open_store(tmp_path)
    try:
        store.write([prepared])
        (back,) = store.read_prepared(["d1"])
        assert (back.document, back.content_hash, back.added_at, back.chunks, back.text_hashes) == \
            (doc, "hash-d1", "2024-05-02T10:00:00+00:00", chunks, prepared.text_hashes)
        (info,) = store.documents()
        assert (info.id, info.title, info.source, info.url, info.published, info.author, info.site, info.chunks,
                info.chars, info.content_hash, info.added_at) == \
            ("d1", "A title", "f.jsonl:3", doc.url, "2024-05-01", "A. Writer", "The Paper", len(chunks),
             len(doc.text), "hash-d1", "2024-05-02T10:00:00+00:00")
        (passage,) = store.passages([1]).values()
        assert (passage.doc_id, passage.title, passage.url, passage.published, passage.source, passage.text) == \
            ("d1", "A title", doc.url, "2024-05-01", "f.jsonl:3", chunks[0].text)
    finally:
        store.close()
