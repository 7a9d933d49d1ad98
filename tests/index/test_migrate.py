"""`migrate`: SQLite + FAISS to PostgreSQL and back, without re-embedding, resumable after a kill."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from builders import prepared
from fakes import HashEmbedder
from index.feeds import FeedItem
from index.records import PreparedDocument
from index.migrate import copy_store
from index.postgres import PostgresStore
from index.postgres.feeds import PostgresFeedStore
from index.sqlite.feeds import SqliteFeedStore
from index.sqlite.store import SqliteStore
from rag.errors import ConfigError
from rag.migrate import target_settings
from index.records import Document
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
REAL_MODEL = "all-MiniLM-L6-v2"  # the CLI's embedder name; its vectors are never computed here


def sqlite_store(folder: Path, model: str = "hash-embedder", dim: int = 32) -> SqliteStore:
    return SqliteStore(folder / "newsrag.db", folder / "vectors.faiss", embed_model=model, dim=dim)


def fill(store, count: int, dim: int = 32) -> None:
    rng = np.random.default_rng(1)
    for start in range(0, count, 50):
        batch = []
        for n in range(start, min(start + 50, count)):
            p = prepared(f"d{n}", f"Report {n} on the harbour budget and the council vote. " * (2 + n % 4))
            vectors = rng.standard_normal((len(p.chunks), dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            doc = Document(p.document.id, f"Report {n}", p.document.text, source=f"r{n}.txt",
                           url=f"https://example.org/{n}", published=f"2024-0{1 + n % 9}-1{n % 10}")
            batch.append(PreparedDocument(doc, p.content_hash, p.chunks, vectors, p.text_hashes))
        store.write(batch)


def contents(store) -> dict[str, tuple]:
    out = {}
    for info in store.documents():
        (p,) = store.read_prepared([info.id])
        out[info.id] = (p.document, p.content_hash, p.chunks, p.text_hashes, p.added_at,
                        np.round(p.embeddings, 6).tobytes())
    return out


def test_copy_to_postgres_and_back_keeps_everything_and_searches_alike(tmp_path, postgres_url):
    source = sqlite_store(tmp_path / "a")
    fill(source, 60)
    source.set_meta("corpus_indexed", "corpus/")
    target = PostgresStore(postgres_url, embed_model="hash-embedder")
    report = copy_store(source, target, batch_docs=7)
    assert (report.copied, report.skipped) == (60, 0) and report.chunks == source.counts()[1]
    assert contents(target) == contents(source)
    assert target.meta("corpus_indexed") == "corpus/"
    query = source.read_prepared(["d3"])[0].embeddings[0]

    def found(store):
        hits = store.dense_search(query, 5)
        passages = store.passages([i for i, _ in hits])
        return [(passages[i].doc_id, passages[i].start, round(s, 4)) for i, s in hits]

    assert found(target) == found(source)
    again = copy_store(source, target)
    assert (again.copied, again.skipped) == (0, 60)

    back = sqlite_store(tmp_path / "b")
    copy_store(target, back)
    assert contents(back) == contents(source) and found(back) == found(source)
    assert back.check().ok


def feed_state(feeds) -> list[tuple]:
    return [(f, feeds.items_of(f.url)) for f in feeds.all()]


def test_feeds_and_their_items_survive_sqlite_to_postgres_and_back(tmp_path, postgres_url):
    source = sqlite_store(tmp_path / "a")
    fill(source, 5)
    feeds = SqliteFeedStore(source)
    for n, url in enumerate(["https://f.example/rss", "https://g.example/atom", "https://h.example/never"]):
        feeds.add(url, 600 * (n + 1))
    feeds.record_fetch("https://f.example/rss", status=200, error=None, etag='"v1"', title="F", items_seen=3)
    feeds.record_fetch("https://g.example/atom", status=500, error="HTTP 500")
    feeds.record_items("https://f.example/rss", [FeedItem(f"g{n}", f"https://example.org/{n}", f"d{n}", f"e{n}",
                                                          made=n == 0) for n in range(3)])
    feeds.record_items("https://g.example/atom", [FeedItem("x", "https://example.org/0", "d0", "ex")])
    target = PostgresStore(postgres_url, embed_model="hash-embedder")
    pg_feeds = PostgresFeedStore(target)
    report = copy_store(source, target, feeds=(feeds, pg_feeds))
    assert (report.copied, report.feeds_copied, report.feeds_skipped) == (5, 3, 0)
    assert feed_state(pg_feeds) == feed_state(feeds)
    again = copy_store(source, target, feeds=(feeds, pg_feeds))  # a rerun copies nothing twice
    assert (again.copied, again.feeds_copied, again.feeds_skipped) == (0, 0, 3)

    back = sqlite_store(tmp_path / "b")
    back_feeds = SqliteFeedStore(back)
    copy_store(target, back, feeds=(pg_feeds, back_feeds))
    assert feed_state(back_feeds) == feed_state(feeds)
    # Which items made their document goes along (issue 23, finding 2): f made d0 alone, which g
    # also carries, so removing f hands out none of them and d0 passes to g.
    assert [i.made for i in back_feeds.items_of("https://f.example/rss").values()] == [True, False, False]
    assert back_feeds.remove("https://f.example/rss") == []
    assert back_feeds.get("https://f.example/rss") is None and back_feeds.get("https://g.example/atom")
    assert back_feeds.remove("https://g.example/atom") == ["d0"]


def test_target_is_named_by_url_or_folder_and_never_the_source(tmp_path):
    settings = load_settings({}, data_dir=tmp_path / "data")
    assert target_settings(settings, "postgresql://u@h/db").store == "postgresql://u@h/db"
    assert target_settings(settings, str(tmp_path / "other")).data_dir == tmp_path / "other"
    with pytest.raises(ConfigError, match="being copied"):
        target_settings(settings, str(tmp_path / "data"))


@pytest.mark.integration
def test_a_killed_migrate_resumes_where_it_stopped(tmp_path, postgres_url):
    """The real command, killed once part of the documents are committed, then run again."""
    data = tmp_path / "data"
    source = sqlite_store(data, model=REAL_MODEL, dim=384)
    fill(source, 400, dim=384)
    command = [sys.executable, "-m", "rag.cli", "--data-dir", str(data), "migrate", "--to", postgres_url,
               "--batch", "4"]
    target = PostgresStore(postgres_url, embed_model=REAL_MODEL)
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while target.counts()[0] < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    committed = target.counts()[0]
    assert 40 <= committed < 400
    assert all(len(p.chunks) == info.chunks and info.chunks > 0
               for info in target.documents() for p in target.read_prepared([info.id]))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{committed} already there" in done.stdout
    assert contents(target) == contents(source)
