"""Hostile ids and URLs against the real PostgreSQL server and through `migrate` (issue 23).

PostgreSQL indexes documents' ids and URLs in btrees, whose entries hold at most 2,704 bytes, and
its text type holds no NUL; UTF-8 holds no lone surrogate. The Ingestor keeps all of these out
(rag.limits), so no batch fails halfway in the store; ids that differ only in Unicode
normalisation are two documents, alike in both stores and across a migration.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import replace

import pytest

from builders import EMB, limits, prepared
from fakes import HashEmbedder
from index.migrate import copy_store
from index.postgres import PostgresStore
from index.records import Document
from index.sqlite.store import SqliteStore
from rag.chunking import Chunker
from rag.ingest import Ingestor

# 1,014 characters, 3,014 bytes of UTF-8; varied, since PostgreSQL compresses a repetitive entry
# below the btree limit.
_RNG = random.Random(1)
WIDE_URL = "https://e.org/" + "".join(chr(_RNG.randrange(0x4E00, 0x9FFF)) for _ in range(1000))


def pg_ingestor(url: str) -> Ingestor:
    return Ingestor(PostgresStore(url, embed_model="hash-embedder"), HashEmbedder(EMB.dim), Chunker(200, 40),
                    limits=limits())


def test_postgres_cannot_index_a_long_non_ascii_url(postgres_url):
    """Why URLs are bounded in bytes too: the server refuses the whole batch, not just that row."""
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    doc = prepared("wide", "Ferries leave every forty minutes.")
    wide = replace(doc, document=replace(doc.document, url=WIDE_URL))
    with pytest.raises(Exception, match="(?i)index row size|btree"):
        store.write([prepared("fine", "Tides peak on Friday."), wide])
    assert store.documents() == []


def test_ingestor_keeps_long_urls_and_unstorable_ids_out_of_postgres(postgres_url):
    """Issue 23 (PostgreSQL under hostile input): each bad document is refused by name; the rest are stored."""
    ingestor = pg_ingestor(postgres_url)
    docs = [
        Document("wide-url", "T", "Ferries leave every forty minutes.", "rows.jsonl:1", WIDE_URL),
        Document("nul\x00id", "T", "Tides peak on Friday.", "rows.jsonl:2"),
        Document("lone\ud800", "T", "The council met on Monday.", "rows.jsonl:3"),
        Document("evil\u202etxt.exe", "T", "The harbour reopened.", "rows.jsonl:4"),
        Document("fine", "T", "Boats resume on Sunday.", "rows.jsonl:5", "https://e.org/" + "\u6f22" * 600),
    ]
    report = ingestor.add_documents(docs)
    assert report.added == ["fine"]
    errors = [str(e) for e in report.errors]
    assert errors[0].startswith("rows.jsonl:1: URL is 3,014 bytes in UTF-8, over the 2,048-byte limit")
    assert errors[1] == "rows.jsonl:2: id holds a NUL or a lone surrogate, which no store can hold"
    assert errors[2] == "rows.jsonl:3: id holds a NUL or a lone surrogate, which no store can hold"
    assert errors[3].startswith("rows.jsonl:4: id 'evil\\u202etxt.exe' holds a bidirectional control character")
    assert [d.id for d in ingestor.store.documents()] == ["fine"]


def test_ids_differing_only_in_normalisation_survive_migrate_alike(tmp_path, postgres_url):
    """NFC and NFD spellings of one id are two documents, in SQLite, in PostgreSQL and across `migrate`."""
    nfc = unicodedata.normalize("NFC", "caf\u00e9-\u0928\u093f")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    source = SqliteStore(tmp_path / "db.sqlite", tmp_path / "v.faiss", embed_model="hash-embedder", dim=EMB.dim)
    ingestor = Ingestor(source, HashEmbedder(EMB.dim), Chunker(200, 40), limits=limits())
    long_id = "\U0001f600" * 256  # the longest id allowed, 1,024 bytes of UTF-8
    report = ingestor.add_documents([Document(nfc, "T", "Ferries leave at noon.", "a.md"),
                                     Document(nfd, "T", "Ferries leave at one.", "b.md"),
                                     Document(long_id, "T", "Ferries leave at two.", "c.md",
                                              "https://e.org/" + "\u6f22" * 678)])
    assert sorted(report.added) == sorted([nfc, nfd, long_id]) and not report.errors
    target = PostgresStore(postgres_url, embed_model="hash-embedder")
    assert copy_store(source, target).copied == 3
    for doc_id in (nfc, nfd, long_id):
        (a,), (b,) = source.read_prepared([doc_id]), target.read_prepared([doc_id])
        assert a.document == b.document and a.content_hash == b.content_hash
    assert copy_store(source, target).skipped == 3
