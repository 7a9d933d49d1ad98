"""The PostgreSQL + pgvector backend of the store (`newsrag[postgres]`).

Chosen by ``store = "postgresql://..."``; imports nothing heavy until a store is opened.
"""
from __future__ import annotations

from index.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
