"""SQLite transactions as a ``with`` block: BEGIN, then COMMIT, or ROLLBACK on any error.

Connections are opened in autocommit mode (index.sqlite.schema.connect), so every multi-statement read
or write that must see or leave one consistent state goes through ``transaction``. Not here: what
the statements are, or bumping the store's generation (index.sqlite.store does that in its writes).
"""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Iterator

from index.errors import StoreError


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A transaction on ``conn``: a read snapshot, or with ``write`` the write lock up front.

    ``write`` begins IMMEDIATE, taking the write lock now, so a second writer waits (busy_timeout)
    here rather than failing half-way through its transaction; one still waiting when the
    timeout ends is a StoreError saying the store is busy.
    """
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.OperationalError as exc:
        if not write:
            raise
        raise StoreError(f"the store is busy with another writer: {exc}") from None
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
