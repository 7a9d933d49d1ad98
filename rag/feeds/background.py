"""Sync due feeds in a daemon thread while the chat runs.

`BackgroundSync.start` wakes every ``check_every`` seconds and syncs the feeds whose interval has
passed (rag.feeds.sync), so new articles become answerable without a restart. It never blocks an
answer: readers go on during a write (SQLite in WAL mode, or PostgreSQL), and the chat's FAISS
index, if any, catches up with the new generation on its next search. A failing sync is logged and
tried again on the next wake; `stop` ends the thread after the sync in flight. Not here: what
one sync does (rag.feeds.sync).
"""
from __future__ import annotations

import logging
import threading

from rag.feeds.sync import SyncSummary, Syncer

log = logging.getLogger(__name__)


class BackgroundSync:
    def __init__(self, syncer: Syncer, check_every: float = 60.0) -> None:
        self.syncer = syncer
        self.check_every = check_every
        self.last: SyncSummary | None = None
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "BackgroundSync":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="newsrag-feed-sync", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                summary = self.syncer.sync(due_only=True)
                self.last = summary
                self.runs += 1
                if summary.feeds:
                    log.info("feed sync: %d feeds, %d new, %d updated, %d failed, %d entries left for the next sync",
                             len(summary.feeds), summary.total("new"), summary.total("updated"),
                             len(summary.failed_feeds), summary.total("left"))
            except Exception:  # a broken sync must not end the thread; the next wake retries
                log.exception("background feed sync failed")
            self._stop.wait(self.check_every)
