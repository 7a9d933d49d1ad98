"""The read side of the document tables, once for both backends: `DocumentReads`, a mixin.

Both stores keep the same ``meta``, ``documents`` and ``chunks`` tables (index.sqlite.schema,
index.postgres.schema), so every read that is plain SQL over them is written here once, with
``{p}`` where a parameter goes: `ReadStatements.with_marker` fills in a driver's marker ("?" for
sqlite3, "%s" for psycopg) once, and each backend keeps the result as its ``SQL``. A backend also
says how a list of values is matched (``_among``: SQLite binds one marker per value, PostgreSQL
one array), how a statement is run (``_read``), and how a stored embedding becomes an array
(``_vector``: SQLite keeps float32 bytes, pgvector its own type). Not here: writing, searching,
checking, and ``embeddings`` by chunk id, which the SQLite store answers from its FAISS index in
memory rather than from the table.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Sequence

import numpy as np

from index import columns
from index.base import INTERNAL_META
from index.records import Chunk, DocumentInfo, Passage, PreparedDocument

_CHUNK_FIELDS = ("doc_id", "seq", "start", "end", "text", "text_hash", "embedding")


@dataclass(frozen=True)
class ReadStatements:
    """The reads' SQL, parameters as ``{p}`` until `with_marker`; ``{among}`` is a condition
    `DocumentReads._among` makes per call."""

    meta: str = "SELECT value FROM meta WHERE key = {p}"
    set_meta: str = ("INSERT INTO meta (key, value) VALUES ({p}, {p}) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    user_meta: str = "SELECT key, value FROM meta"
    content_hash: str = "SELECT content_hash FROM documents WHERE id = {p}"
    find_by_hash: str = "SELECT id FROM documents WHERE content_hash = {p} LIMIT 1"
    document_text: str = "SELECT text FROM documents WHERE id = {p}"
    document_info: str = f"SELECT {columns.select(columns.INFO_SQL)} FROM documents d ORDER BY d.added_at, d.id"
    counts: str = "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
    passages: str = (f"SELECT {columns.select(columns.PASSAGE_SQL)} "
                     "FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE {among}")
    text_hashes: str = "SELECT text_hash, embedding FROM chunks WHERE doc_id = {p}"
    sample_chunk: str = "SELECT text, embedding FROM chunks ORDER BY id LIMIT 1"
    documents_among: str = f"SELECT {', '.join(columns.DOCUMENT_COLUMNS)} FROM documents WHERE {{among}}"
    chunks_among: str = ('SELECT doc_id, seq, start, "end", text, text_hash, embedding FROM chunks '
                         "WHERE {among} ORDER BY doc_id, seq")

    @classmethod
    def with_marker(cls, marker: str) -> "ReadStatements":
        """The statements with ``marker`` for each ``{p}`` (``{among}`` is kept for later)."""
        return cls(**{f.name: getattr(cls, f.name).replace("{p}", marker) for f in fields(cls)})


class DocumentReads:
    """Reads over the backend's connection, shared by both stores. A backend sets ``SQL``
    (`ReadStatements.with_marker` of its driver's marker) and the methods below that raise."""

    SQL: ReadStatements

    def _among(self, column: str, values: Sequence[Any]) -> tuple[str, tuple]:
        """A condition that ``column`` is one of ``values`` (not empty), and its parameters."""
        raise NotImplementedError

    def _vector(self, stored: Any) -> np.ndarray:
        raise NotImplementedError

    def _read(self, sql: str, params: tuple = ()) -> Any:
        """Run one statement of ``SQL``; its cursor."""
        raise NotImplementedError

    def _one(self, sql: str, params: tuple = ()) -> Any:
        row = self._read(sql, params).fetchone()
        return row[0] if row else None

    def meta(self, key: str) -> str | None:
        return self._one(self.SQL.meta, (key,))

    def set_meta(self, key: str, value: str) -> None:
        self._read(self.SQL.set_meta, (key, value))

    def user_meta(self) -> dict[str, str]:
        return {k: v for k, v in self._read(self.SQL.user_meta) if k not in INTERNAL_META}

    def content_hash(self, doc_id: str) -> str | None:
        return self._one(self.SQL.content_hash, (doc_id,))

    def find_by_hash(self, content_hash: str) -> str | None:
        return self._one(self.SQL.find_by_hash, (content_hash,))

    def document_text(self, doc_id: str) -> str | None:
        return self._one(self.SQL.document_text, (doc_id,))

    def documents(self) -> list[DocumentInfo]:
        return [columns.info_from(row) for row in self._read(self.SQL.document_info).fetchall()]

    def counts(self) -> tuple[int, int]:
        docs, chunks = self._read(self.SQL.counts).fetchone()
        return int(docs), int(chunks)

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        if not chunk_ids:
            return {}
        among, params = self._among("c.id", [int(i) for i in chunk_ids])
        found = (columns.passage_from(row) for row in self._read(self.SQL.passages.format(among=among), params).fetchall())
        return {passage.chunk_id: passage for passage in found}

    def embeddings_by_text_hash(self, doc_id: str) -> dict[str, np.ndarray]:
        """A document's stored embeddings by chunk-text hash, so an edit re-embeds only what changed."""
        rows = self._read(self.SQL.text_hashes, (doc_id,))
        return {h: self._vector(v) for h, v in rows}

    def sample_chunk(self) -> tuple[str, np.ndarray] | None:
        row = self._read(self.SQL.sample_chunk).fetchone()
        if row is None:
            return None
        text, embedding = row
        return text, self._vector(embedding)

    def read_prepared(self, doc_ids: Sequence[str]) -> list[PreparedDocument]:
        """The stored documents with their chunks and embeddings, as `write` takes them (unknown ids
        are skipped; the order is that of ``doc_ids``)."""
        doc_ids = list(dict.fromkeys(doc_ids))
        if not doc_ids:
            return []
        among, params = self._among("id", doc_ids)
        docs = {}
        for row in self._read(self.SQL.documents_among.format(among=among), params).fetchall():
            document, content_hash, added_at = columns.document_from(row)
            docs[document.id] = (document, content_hash, added_at)
        among, params = self._among("doc_id", doc_ids)
        chunks: dict[str, list] = {}
        for row in self._read(self.SQL.chunks_among.format(among=among), params):
            chunk = dict(zip(_CHUNK_FIELDS, row))
            chunks.setdefault(chunk["doc_id"], []).append(chunk)
        out = []
        for doc_id in doc_ids:
            if doc_id not in docs:
                continue
            document, content_hash, added_at = docs[doc_id]
            rows = chunks.get(doc_id, [])
            vectors = (np.vstack([self._vector(c["embedding"]) for c in rows]) if rows
                       else np.zeros((0, 0), dtype=np.float32))
            parts = tuple(Chunk(c["doc_id"], c["seq"], c["start"], c["end"], c["text"]) for c in rows)
            out.append(PreparedDocument(document, content_hash, parts, vectors,
                                        tuple(c["text_hash"] for c in rows), added_at=added_at))
        return out
