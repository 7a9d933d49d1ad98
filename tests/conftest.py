"""Shared fixtures: settings on a temporary data directory, and an app wired with fakes."""
from __future__ import annotations

from pathlib import Path

import pytest

from fakes import HashEmbedder, ScriptedGenerator
from rag.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                         index_corpus_on_first_run=False)


@pytest.fixture
def make_app(settings):
    """Build an app with fake models; pass replies for the scripted generator."""
    from rag.wiring import build

    def make(*replies: str, **changes):
        return build(settings.replace(**changes) if changes else settings,
                     embedder=HashEmbedder(), generator=ScriptedGenerator(*replies))

    return make

