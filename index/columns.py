"""The columns of the ``documents`` table, named once: the order both stores write a document in
and read it back, so no reader counts positions (``row[8]``).

A `Document` is stored with two more columns, its ``content_hash`` and ``added_at``. Reads of
documents, their listing and passages go through the mappings here, by name. The tables
themselves are created by index.sqlite.schema and index.postgres.schema. Not here: chunks.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Sequence

from index.records import Document, DocumentInfo, Passage, PreparedDocument

DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))
DOCUMENT_COLUMNS = (*DOCUMENT_FIELDS, "content_hash", "added_at")

# The SQL for each field of a listed document (`DocumentInfo`) and of a `Passage`: a column of
# ``documents d`` or ``chunks c``, or what is computed from them.
INFO_SQL = {name: f"d.{name}" for name in (f.name for f in fields(DocumentInfo))} | {
    "chunks": "(SELECT count(*) FROM chunks c WHERE c.doc_id = d.id)",
    "chars": "length(d.text)",
}
PASSAGE_SQL = {"chunk_id": "c.id", "doc_id": "c.doc_id", "title": "d.title", "text": "c.text", "start": "c.start",
               "end": 'c."end"', "url": "d.url", "published": "d.published", "source": "d.source"}


def insert_document(marker: str) -> str:
    """INSERT of one document, with the driver's parameter ``marker``; values from `document_values`."""
    return (f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "
            f"VALUES ({', '.join([marker] * len(DOCUMENT_COLUMNS))})")


def document_values(prepared: PreparedDocument, now: str) -> tuple[Any, ...]:
    """``prepared``'s document as `insert_document` takes it; ``now`` when it has no ``added_at``."""
    doc = prepared.document
    return (*(getattr(doc, name) for name in DOCUMENT_FIELDS), prepared.content_hash, prepared.added_at or now)


def select(sql: dict[str, str]) -> str:
    return ", ".join(sql.values())


def named(sql: dict[str, str], row: Sequence[Any]) -> dict[str, Any]:
    """A row selected with `select` (``sql``) as a mapping from field name to value."""
    return dict(zip(sql, row))


def document_from(row: Sequence[Any]) -> tuple[Document, str, str]:
    """A row of DOCUMENT_COLUMNS as (document, content_hash, added_at)."""
    values = dict(zip(DOCUMENT_COLUMNS, row))
    return Document(**{name: values[name] for name in DOCUMENT_FIELDS}), values["content_hash"], values["added_at"]


def info_from(row: Sequence[Any]) -> DocumentInfo:
    return DocumentInfo(**named(INFO_SQL, row))


def passage_from(row: Sequence[Any]) -> Passage:
    return Passage(**named(PASSAGE_SQL, row))
