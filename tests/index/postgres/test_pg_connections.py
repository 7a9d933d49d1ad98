"""PostgreSQL connections: one per thread that uses the store, and none kept for dead threads."""
from __future__ import annotations

import threading

from index.postgres import PostgresStore


def _server_connections(store) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0]


def test_connections_of_finished_threads_are_closed(postgres_url):
    """The chat answers in worker threads that come and go (Gradio's idle ones end after 10 s):
    each new one opened a connection that stayed open until the store closed, until the server
    ran out of them."""
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    before = _server_connections(store)
    for _ in range(12):
        worker = threading.Thread(target=lambda: store.conn.execute("SELECT 1"))
        worker.start()
        worker.join()
    # One more thread's connection is the moment the dead threads' ones are let go.
    worker = threading.Thread(target=lambda: store.conn.execute("SELECT 1"))
    worker.start()
    worker.join()
    assert _server_connections(store) <= before + 1
    store.close()
