"""Newsrag.warm_up: the chat's background start loads the embedder and the model before any question."""
from __future__ import annotations

import pytest
from fakes import HashEmbedder, ScriptedGenerator

from rag.errors import ModelError
from builders import server_generator
from rag.wiring import build
from servers import free_port


def test_warm_up_embeds_once_and_loads_the_model(settings) -> None:
    embedder, generator = HashEmbedder(), ScriptedGenerator("Hello.")
    app = build(settings, embedder=embedder, generator=generator)
    app.warm_up()
    assert embedder.calls == 1 and generator.loads == 1 and generator.seen == []


def test_warm_up_with_a_server_that_is_down_says_so(settings) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    app = build(settings, embedder=HashEmbedder(), generator=server_generator(url, server_retries=0))
    with pytest.raises(ModelError, match=f"model server {url}/models is not reachable"):
        app.warm_up()
