"""Fixtures for the API tests: an app holding the seed article, served for real on 127.0.0.1.

``serve_app`` serves `ui.serve.create_server` (the chat page and the three doors) with uvicorn in
a thread of the test, like the fixture web server: the unit tier, with the fake models.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.rag.api.served import serving
from tests.ui.ui_samples import SEED, SEED_REPLY, write_article

QUESTION = "Which firms are pooling chip R&D?"
FOUR_FIRMS = ("Huawei", "Alibaba Cloud", "Baidu", "Tencent")
OUTSIDE = "What did the Zanzibar ferry company buy?"  # no article names Zanzibar: declined


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    return write_article(tmp_path, "seed.md", title="China's tech giants form AI alliances", text=SEED,
                         url="https://example.com/ai-alliances", doc_id="seed", date="2025-05-02")


@pytest.fixture
def seeded(make_app, seed_file):
    """``seeded(*replies, **settings)``: an app with fake models and the seed article indexed."""

    def make(*replies: str, **changes):
        app = make_app(*(replies or (SEED_REPLY,)), **changes)
        app.ingestor.add([seed_file])
        return app

    return make


@pytest.fixture
def serve_app():
    """``with serve_app(app) as url:`` serves newsrag serve's ASGI app for ``app``."""
    from ui.serve import create_server

    @contextlib.contextmanager
    def serve(app, settings=None, keep: list | None = None):
        server = create_server(app, settings or app.settings)
        if keep is not None:
            keep.append(server)
        with serving(server) as url:
            yield url

    return serve
