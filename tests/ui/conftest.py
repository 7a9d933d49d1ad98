"""Fixtures for the UI tests: small article files, one of them hostile."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.ui_samples import HOSTILE_TEXT, HOSTILE_TITLE, SEED, write_article


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    return write_article(tmp_path, "seed.md", title="China's tech giants form AI alliances", text=SEED,
                         url="https://example.com/ai-alliances", doc_id="seed", date="2025-05-02")


@pytest.fixture
def hostile_file(tmp_path: Path) -> Path:
    return write_article(tmp_path, "hostile.md", title=HOSTILE_TITLE, text=HOSTILE_TEXT,
                         url="javascript:window.__pwned=1", doc_id="hostile")
