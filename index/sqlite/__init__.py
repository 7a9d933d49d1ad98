"""The SQLite + FAISS backend of the store, the embedded default: a data directory of one SQLite
file (the source of truth) and one FAISS file derived from it.

Chosen when ``store`` is empty; the store is index.sqlite.store, its schema index.sqlite.schema,
keyword search index.sqlite.keywords, the FAISS index index.sqlite.vectors with its file
index.sqlite.vector_file and its catch-up index.sqlite.faiss_sync, `newsrag check`
index.sqlite.check, and the feed tables index.sqlite.feeds.
"""
from __future__ import annotations

from index.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
