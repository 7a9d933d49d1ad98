import multiprocessing
import sqlite3

import pytest

from index import schema


class LockedAtFirst:
    """A connection whose journal-mode switch fails as a brand-new shared file's does."""

    def __init__(self, failures: int, message: str = "database is locked") -> None:
        self.failures, self.message, self.calls = failures, message, 0

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.failures:
            raise sqlite3.OperationalError(self.message)


def test_switching_to_wal_waits_out_a_locked_new_database():
    conn = LockedAtFirst(3)
    schema._wal(conn, timeout=5)
    assert conn.calls == 4


def test_switching_to_wal_gives_up_after_the_timeout_and_passes_other_errors_on():
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        schema._wal(LockedAtFirst(10**6), timeout=0.05)
    other = LockedAtFirst(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        schema._wal(other, timeout=5)
    assert other.calls == 1


def _open(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        conn = schema.connect(path)
        schema.create(conn)
        results.put("ok")
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(repr(exc))


@pytest.mark.integration
def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    # Before the retry, about one round in ten had a process fail with "database is locked".
    ctx = multiprocessing.get_context("spawn")
    outcomes = []
    for round_ in range(20):
        path = str(tmp_path / f"{round_}.db")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open, args=(path, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        outcomes += [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    assert set(outcomes) == {"ok"}
