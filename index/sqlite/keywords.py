"""Keyword search over chunk text on SQLite: the FTS5 query newsrag builds, and the two lookups it serves.

A question becomes an OR of its words (index.keyword_query: stop words out, and a word too common
to score left out while a rarer one remains), each quoted as an FTS5 phrase so that query syntax
in untrusted text ("NEAR(", quotes, "*") stays plain text. ``search`` ranks chunks by BM25; ``unknown_words`` says which words no chunk contains
(split into words by index.words, as the PostgreSQL store splits them).
Stemming is FTS5's porter tokenizer (index.sqlite.schema), applied to the query and the text alike.
Not here: the table and its triggers (index.sqlite.schema), or fusing keyword with dense results
(rag.retrieval). The PostgreSQL store builds its own tsquery (index.postgres.store).
"""
from __future__ import annotations

import sqlite3
from typing import Collection, Sequence

from index import keyword_query
from index import words as words_module
from index.keyword_query import query_words


def phrase(word: str) -> str:
    """``word`` as an FTS5 phrase, so that query syntax in it ("NEAR(", quotes) is plain text."""
    return '"' + word.replace('"', '""') + '"'


def match_query(text: str, common: Collection[str] = ()) -> str | None:
    """The FTS5 MATCH expression for ``text``: its words, stop words and ``common`` words out,
    OR-ed (the common ones stay when nothing else would); None if there are no words."""
    words = query_words(text)
    if not words:
        return None
    return " OR ".join(phrase(w) for w in ([w for w in words if w not in common] or words))


def common_words(conn: sqlite3.Connection, words: Sequence[str], limit: int | None = None) -> set[str]:
    """The ``words`` that match more than ``limit`` chunks (counted only up to the limit, so a
    lookup costs a few milliseconds however common the word)."""
    limit = keyword_query.COMMON_MATCHES if limit is None else limit
    return {w for w in words if conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
        (phrase(w), limit + 1)).fetchone()[0] > limit}


def search(conn: sqlite3.Connection, text: str, k: int,
           window: tuple[str, str] | None = None) -> list[tuple[int, float]]:
    """BM25 over chunk text: (chunk id, score) best first; scores are negated bm25 so higher is better.

    ``window`` (start, end ISO dates): only chunks of documents published on start <= day < end,
    joined inside the query so the k best of the window come back, not the window's share of
    the k best overall.
    """
    match = match_query(text, common_words(conn, query_words(text)))
    if match is None:
        return []
    if window is None:
        rows = conn.execute(
            "SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?",
            (match, k),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT f.rowid, bm25(chunks_fts) FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            "JOIN documents d ON d.id = c.doc_id WHERE chunks_fts MATCH ? "
            "AND d.published >= ? AND d.published < ? ORDER BY bm25(chunks_fts) LIMIT ?",
            (match, window[0], window[1], k),
        ).fetchall()
    return [(int(rowid), -float(score)) for rowid, score in rows]


def unknown_words(conn: sqlite3.Connection, words: Sequence[str]) -> list[str]:
    """The ``words`` (forms, split by index.words as on PostgreSQL) that occur in no chunk's text,
    one FTS5 phrase lookup each."""
    return [form for form, found in words_module.to_look_up(words).items() if conn.execute(
        "SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1", (phrase(" ".join(found)),)).fetchone() is None]
