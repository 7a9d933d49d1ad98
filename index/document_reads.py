"""The read side of the document tables, once for both backends: `DocumentReads`, a mixin.

Both stores keep the same ``meta``, ``documents`` and ``chunks`` tables (index.sqlite.schema,
index.postgres.schema), so every read that is plain SQL over them is written here, with "?" as
the parameter marker. A backend says what differs: its driver's marker (``PARAM``), how a list of
values is matched (``_among``: SQLite binds one marker per value, PostgreSQL one array), and how a
stored embedding becomes an array (``_vector``: SQLite keeps float32 bytes, pgvector its own
type). Not here: writing, searching, checking, and ``embeddings`` by chunk id, which the SQLite
store answers from its FAISS index in memory rather than from the table.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from index import columns
from index.base import INTERNAL_META
from index.records import Chunk, DocumentInfo, Passage, PreparedDocument

_DOCUMENT_INFO = f"SELECT {columns.select(columns.INFO_SQL)} FROM documents d ORDER BY d.added_at, d.id"
_PASSAGE = (f"SELECT {columns.select(columns.PASSAGE_SQL)} "
            "FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE {among}")
_DOCUMENT = f"SELECT {', '.join(columns.DOCUMENT_COLUMNS)} FROM documents WHERE {{among}}"
_CHUNK_FIELDS = ("doc_id", "seq", "start", "end", "text", "text_hash", "embedding")
_CHUNKS = ('SELECT doc_id, seq, start, "end", text, text_hash, embedding FROM chunks '
           "WHERE {among} ORDER BY doc_id, seq")


class DocumentReads:
    """Reads over ``self.conn`` (the calling thread's connection), shared by both stores."""

    PARAM = "?"

    def _among(self, column: str, values: Sequence[Any]) -> tuple[str, tuple]:
        """A condition that ``column`` is one of ``values`` (not empty), and its parameters."""
        return f"{column} IN ({','.join('?' * len(values))})", tuple(values)

    def _vector(self, stored: Any) -> np.ndarray:
        raise NotImplementedError

    def _read(self, sql: str, params: tuple = ()) -> Any:
        return self.conn.execute(sql if self.PARAM == "?" else sql.replace("?", self.PARAM), params)

    def _one(self, sql: str, params: tuple = ()) -> Any:
        row = self._read(sql, params).fetchone()
        return row[0] if row else None

    def meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        self._read("INSERT INTO meta (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def user_meta(self) -> dict[str, str]:
        return {k: v for k, v in self._read("SELECT key, value FROM meta") if k not in INTERNAL_META}

    def content_hash(self, doc_id: str) -> str | None:
        return self._one("SELECT content_hash FROM documents WHERE id = ?", (doc_id,))

    def find_by_hash(self, content_hash: str) -> str | None:
        return self._one("SELECT id FROM documents WHERE content_hash = ? LIMIT 1", (content_hash,))

    def document_text(self, doc_id: str) -> str | None:
        return self._one("SELECT text FROM documents WHERE id = ?", (doc_id,))

    def documents(self) -> list[DocumentInfo]:
        return [columns.info_from(row) for row in self._read(_DOCUMENT_INFO).fetchall()]

    def counts(self) -> tuple[int, int]:
        docs, chunks = self._read("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
        return int(docs), int(chunks)

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        if not chunk_ids:
            return {}
        among, params = self._among("c.id", [int(i) for i in chunk_ids])
        found = (columns.passage_from(row) for row in self._read(_PASSAGE.format(among=among), params).fetchall())
        return {passage.chunk_id: passage for passage in found}

    def embeddings_by_text_hash(self, doc_id: str) -> dict[str, np.ndarray]:
        """A document's stored embeddings by chunk-text hash, so an edit re-embeds only what changed."""
        rows = self._read("SELECT text_hash, embedding FROM chunks WHERE doc_id = ?", (doc_id,))
        return {h: self._vector(v) for h, v in rows}

    def sample_chunk(self) -> tuple[str, np.ndarray] | None:
        row = self._read("SELECT text, embedding FROM chunks ORDER BY id LIMIT 1").fetchone()
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
        for row in self._read(_DOCUMENT.format(among=among), params).fetchall():
            document, content_hash, added_at = columns.document_from(row)
            docs[document.id] = (document, content_hash, added_at)
        among, params = self._among("doc_id", doc_ids)
        chunks: dict[str, list] = {}
        for row in self._read(_CHUNKS.format(among=among), params):
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
