"""The shared benchmark corpus loads completely, with the ids and fields it was written with."""
from __future__ import annotations

import json
from pathlib import Path

from index.records import Document
from rag.loaders import load_paths
from builders import limits


def test_rtqa_small_corpus_loads_in_full(shared_bench: Path) -> None:
    corpus = shared_bench / "rtqa-small" / "corpus.jsonl"
    with corpus.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    items = list(load_paths([corpus], limits(file_bytes=50 * 1024 * 1024)))
    assert all(isinstance(i, Document) for i in items), [str(i) for i in items if not isinstance(i, Document)][:5]
    assert len(items) == len(rows) == 499
    assert [d.id for d in items] == [r["id"] for r in rows]
    for doc, row in zip(items, rows):
        assert (doc.title, doc.url, doc.published) == (row["title"], row["url"], row["published"])
        assert doc.text.split() == row["text"].split()  # only whitespace normalisation may differ
    assert items[0].source == f"{corpus}:1"
