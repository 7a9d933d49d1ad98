"""PostgreSQL connections: borrowed from psycopg's pool, so no number of threads exhausts the server."""
from __future__ import annotations

import threading
import time

import numpy as np
import psycopg

from builders import EMB, prepared
from index.postgres import PostgresStore


class _Observer:
    """Counts the other connections to the store's database, on one connection of its own
    (a connection opened per count would itself linger in pg_stat_activity a moment after)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()").fetchone()[0]


def test_connections_of_finished_threads_are_closed(postgres_url):
    """The chat answers in worker threads that come and go (Gradio's idle ones end after 10 s):
    each new one opened a connection that stayed open until the store closed, until the server
    ran out of them."""
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    observer = _Observer(postgres_url)
    store.keyword_search("anything", 3)
    before = observer.count()
    for _ in range(13):
        worker = threading.Thread(target=lambda: store.keyword_search("anything", 3))
        worker.start()
        worker.join()
    assert observer.count() <= before + 1
    store.close()
    observer.conn.close()


def test_many_threads_searching_at_once_stay_within_the_pool(postgres_url):
    """50 threads alive at once, each asking a question: the server sees at most the pool's
    ``max_size`` connections of the store, not one per thread."""
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    observer = _Observer(postgres_url)
    store.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    query = np.asarray(EMB.embed(["chip research"]), dtype=np.float32)[0]
    searched = threading.Barrier(51)
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            assert store.keyword_search("chip research", 3)
            assert store.dense_search(query, 3)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        searched.wait(timeout=60)  # alive until counted

    workers = [threading.Thread(target=ask) for _ in range(50)]
    for worker in workers:
        worker.start()
    searched.wait(timeout=60)
    try:
        assert errors == []
        assert observer.count() <= store.max_connections < 50
    finally:
        for worker in workers:
            worker.join()
        store.close()
    # A closed connection's server process leaves pg_stat_activity a moment after.
    deadline = time.monotonic() + 10
    while observer.count() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert observer.count() == 0
    observer.conn.close()


def test_a_story_write_waits_for_the_writer_of_its_documents(postgres_url):
    """The story table's put takes the documents' advisory locks, as write and remove do: without
    them its foreign-key checks and a concurrent replacement's delete locked the same document rows
    in opposite orders (a deadlock in test_concurrent_readers_and_writers[postgres] on CI)."""
    from index.postgres.stories import PostgresStoryStore
    from index.stories import StoryArticle

    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    store.write([prepared("a", "text a")])
    stories = PostgresStoryStore(store)
    article = StoryArticle("a", "s1", "2024-03-01", "a.example", "Title", "Lead.", (), np.ones(4, dtype=np.float32))
    done = threading.Event()
    with psycopg.connect(postgres_url) as writer:  # a replacement of 'a' in flight
        PostgresStore.lock_documents(writer, ["a"])
        worker = threading.Thread(target=lambda: (stories.put([article]), done.set()))
        worker.start()
        waited = not done.wait(1.0)
        writer.commit()
    worker.join(timeout=30)
    assert waited and done.is_set()
    assert stories.stories_of(["a"]) == {"a": "s1"}
    store.close()
