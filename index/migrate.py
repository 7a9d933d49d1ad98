"""Copy one store into another (SQLite + FAISS to PostgreSQL, or back), embeddings included.

Documents go over in batches, each one transaction in the target, so a killed copy loses at
most the batch in flight; a rerun skips every document the target already holds with the same
id and content hash, and copies the rest. Chunks keep their offsets, text hashes and vectors
(nothing is embedded again) and documents their ``added_at``. The application's own meta
entries (the shipped-corpus and eval-index stamps) are copied last, once every document is
there, so a store that claims a corpus is indexed is never one that lacks part of it. Feeds, with
their fetch state and items, go over after the documents their items became, each feed whole in
one transaction; a rerun skips a feed the target holds exactly so.

Not done: removing target documents the source does not hold (the target may hold more), and
copying between stores of different embedding models (opening the target refuses that).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from index.base import DocumentStore
from index.feeds import FeedStore

ProgressFn = Callable[[int, int], None]  # (documents done, documents in the source)


@dataclass(frozen=True)
class MigrateReport:
    copied: int
    skipped: int
    chunks: int
    seconds: float
    feeds_copied: int = 0
    feeds_skipped: int = 0


def copy_store(source: DocumentStore, target: DocumentStore, *, batch_docs: int = 64,
               progress: ProgressFn | None = None,
               feeds: tuple[FeedStore, FeedStore] | None = None) -> MigrateReport:
    """Copy ``source`` into ``target``; ``feeds`` (the source's feed store, the target's) copies
    the feeds too."""
    started = time.perf_counter()
    infos = source.documents()
    todo = [d.id for d in infos if target.content_hash(d.id) != d.content_hash]
    done = len(infos) - len(todo)
    copied = chunks = 0
    if progress:
        progress(done, len(infos))
    for start in range(0, len(todo), batch_docs):
        batch = source.read_prepared(todo[start : start + batch_docs])
        target.write(batch)
        copied += len(batch)
        chunks += sum(len(p.chunks) for p in batch)
        done += len(batch)
        if progress:
            progress(done, len(infos))
    feeds_copied, feeds_skipped = copy_feeds(*feeds) if feeds else (0, 0)
    for key, value in source.user_meta().items():
        target.set_meta(key, value)
    target.flush()
    return MigrateReport(copied, len(infos) - len(todo), chunks, time.perf_counter() - started,
                         feeds_copied, feeds_skipped)


def copy_feeds(source: FeedStore, target: FeedStore) -> tuple[int, int]:
    """Every feed of ``source`` with its state and items into ``target``: (copied, skipped)."""
    copied = skipped = 0
    for feed in source.all():
        items = source.items_of(feed.url)
        if target.get(feed.url) == feed and target.items_of(feed.url) == items:
            skipped += 1
            continue
        target.restore(feed, list(items.values()))
        copied += 1
    return copied, skipped
