"""An internal failure on every door is JSON with a message (OpenAI's shape on /v1), never a
traceback or the exception's own text; and the API's bounds come from Settings."""
from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
from fakes import HashEmbedder, ScriptedGenerator
from mcp import Client

from rag.api.service import ApiError, Service
from rag.records import Answer
from tests.rag.api.conftest import QUESTION

SECRET = "the-db-password-is-hunter2"  # in the exception: must reach the log only


class FailingGenerator(ScriptedGenerator):
    """A model that breaks after its first words, as a crashed backend would."""

    name = "failing"

    def stream(self, messages):
        yield "Huawei "
        raise RuntimeError(f"internal failure: {SECRET}")


@pytest.fixture
def failing(settings, seed_file, serve_app):
    from rag.wiring import build

    app = build(settings, embedder=HashEmbedder(), generator=FailingGenerator())
    app.ingestor.add([seed_file])
    with serve_app(app) as url:
        yield url


def _clean(text: str) -> None:
    assert "Traceback" not in text and SECRET not in text and "RuntimeError" not in text


def test_a_failing_model_is_a_500_json_on_rest_with_no_traceback(failing) -> None:
    response = httpx.post(failing + "/api/ask", json={"question": QUESTION}, timeout=30)
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == "server_error" and "server log" in error["message"]
    _clean(response.text)


def test_a_failing_model_is_an_openai_500_on_v1_with_no_traceback(failing) -> None:
    client = openai.OpenAI(base_url=failing + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}])
    assert caught.value.status_code == 500 and caught.value.body["type"] == "server_error"
    _clean(caught.value.response.text)


def test_a_model_failing_mid_stream_ends_the_stream_with_an_error_event(failing) -> None:
    with httpx.stream("POST", failing + "/v1/chat/completions", timeout=30,
                      json={"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
                      ) as response:
        text = "".join(response.iter_text())
    assert response.status_code == 200  # the headers went out with the first words
    events = [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]
    assert '"error"' in events[-1] and "server log" in events[-1] and '"server_error"' in events[-1]
    _clean(text)


def test_a_failing_model_is_an_mcp_tool_error_with_no_internals(failing) -> None:
    async def drive():
        async with Client(failing + "/mcp") as client:
            return await client.call_tool("ask_news", {"question": QUESTION})

    call = asyncio.run(drive())
    text = "".join(getattr(c, "text", "") for c in call.content)
    assert call.is_error and "server log" in text
    _clean(text)


def test_questions_beyond_api_workers_wait_then_get_a_503(seeded) -> None:
    service = Service(seeded(api_workers=1, api_queue_timeout=0.2))
    first = service.stream(QUESTION)
    next(first)  # the first question holds the only slot
    with pytest.raises(ApiError) as caught:
        service.ask(QUESTION)
    assert caught.value.status == 503 and "0.2 seconds" in caught.value.message
    assert isinstance([*first][-1], Answer)  # the first one is answered all the same
    assert not service.ask(QUESTION).abstained  # and its slot came free


def test_the_body_limit_is_api_max_body_kb(seeded, serve_app) -> None:
    with serve_app(seeded(api_max_body_kb=2)) as url:
        small = httpx.post(url + "/api/ask", json={"question": QUESTION, "history": [["a" * 500, "b"]]}, timeout=30)
        big = httpx.post(url + "/api/ask", json={"question": QUESTION, "history": [["a" * 3000, "b"]]}, timeout=30)
    assert small.status_code == 200
    assert big.status_code == 413 and "2,048 bytes" in big.json()["error"]["message"]

