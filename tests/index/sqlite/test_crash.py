"""SIGKILL during `Ingestor.add` and during the FAISS file write leaves a consistent store.

A short run of bench/crash.py's loops (which document every check); the benchmark runs the long
version: `.venv/bin/python bench/crash.py` (3000 articles, 50 kills, 20 kills mid-save).
"""
from __future__ import annotations

import pytest

from bench.crash import ingest_kill_loop, save_kill_loop

pytestmark = pytest.mark.integration


def test_killed_adds_leave_whole_documents_and_resume_without_redoing_work(tmp_path):
    stats = ingest_kill_loop(tmp_path, docs=200, kills=10, seed=7, say=lambda *_: None)
    assert stats.problems == []
    assert stats.kills == 10 and stats.reembedded_committed == 0
    assert stats.resumed_embedded == stats.resumed_expected


def test_killed_vector_file_writes_never_leave_a_trusted_torn_file(tmp_path):
    stats = save_kill_loop(tmp_path, vectors=20_000, kills=5, seed=3, say=lambda *_: None)
    assert stats.problems == []
    assert stats.loaded_ok == stats.kills
    assert stats.refused_damaged == stats.damaged_tried
