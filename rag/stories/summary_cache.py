"""The language model's story summaries, kept so that a story is summarised once per version.

A SQLite file in the data directory (``summaries.db``), for either store: a summary is derived data
(deleting the file costs only model time), so it lives beside the store rather than in it, and a
PostgreSQL store shared by several machines gets one cache per machine. A row is keyed by the story
id and the fingerprint of the articles it was written from (rag.stories.written), so an unchanged
story is read back and a story an article joined, left or changed in is written again. The rows of
one story are kept to its ``KEEP`` latest fingerprints (a brief's week of a story and the Stories
view's last seven days can be different sets of its articles); the rows of a story that is gone stay
until the file is removed. A row with no sentences records that the model's summary failed the
citation checks, so the extractive summary is used without asking the model again.

Each call opens its own connection (threads and processes share the file; SQLite's busy timeout
queues their writes). Not here: writing the summary or its fingerprint (rag.stories.written).
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from rag.stories.summary import Sentence

FILE_NAME = "summaries.db"
KEEP = 4  # fingerprints kept per story
BUSY_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS story_summaries (
    story_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sentences TEXT NOT NULL,  -- JSON: [[text, [doc_id, ...]], ...]; [] when the model's failed the checks
    written REAL NOT NULL,
    PRIMARY KEY (story_id, fingerprint)
)
"""


class SummaryCache:
    """Summaries by (story id, fingerprint) in the SQLite file ``path`` (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        if not self._ready:
            conn.execute(_SCHEMA)
            self._ready = True
        return conn

    def get(self, story_id: str, fingerprint: str) -> tuple[Sentence, ...] | None:
        """The stored summary (empty: the model's failed the checks), or None when there is none."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT sentences FROM story_summaries WHERE story_id = ? AND fingerprint = ?",
                               (story_id, fingerprint)).fetchone()
        if row is None:
            return None
        return tuple(Sentence(text, tuple(doc_ids)) for text, doc_ids in json.loads(row[0]))

    def put(self, story_id: str, fingerprint: str, sentences: tuple[Sentence, ...]) -> None:
        """Store a summary (empty for a failed one) and drop the story's older fingerprints past KEEP."""
        value = json.dumps([[s.text, list(s.doc_ids)] for s in sentences])
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR REPLACE INTO story_summaries VALUES (?, ?, ?, ?)",
                             (story_id, fingerprint, value, time.time()))
                conn.execute("DELETE FROM story_summaries WHERE story_id = ? AND fingerprint NOT IN "
                             "(SELECT fingerprint FROM story_summaries WHERE story_id = ? "
                             "ORDER BY written DESC, rowid DESC LIMIT ?)", (story_id, story_id, KEEP))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def count(self) -> int:
        return sum(self.counts())

    def counts(self) -> tuple[int, int]:
        """(summaries stored with sentences, failed ones stored)."""
        with closing(self._connect()) as conn:
            total, failed = conn.execute("SELECT count(*), coalesce(sum(sentences = '[]'), 0) "
                                         "FROM story_summaries").fetchone()
        return total - failed, failed
