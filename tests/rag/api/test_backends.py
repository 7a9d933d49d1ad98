"""The API over every backend (integration): REST search and ask and the OpenAI door against the
PostgreSQL store (pgserver), and against a model server (llama-cpp-python's OpenAI-compatible
server on 127.0.0.1), each with the real embedder and SmolLM2-135M. SQLite with the model in
process is test_serve_real.py's."""
from __future__ import annotations

import httpx
import openai

from tests.rag.api.conftest import OUTSIDE, QUESTION
from tests.rag.api.served import serving


def _served(app):
    from ui.serve import create_server

    return serving(create_server(app, app.settings))


def _every_door(url: str) -> None:
    """Search, ask and the OpenAI door answer about the seed article; an outside question is declined."""
    found = httpx.get(url + "/api/search", params={"q": "chip R&D alliance"}, timeout=120).json()["passages"]
    assert found and found[0]["doc_id"] == "seed"
    body = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=600).json()
    assert body["answer"].strip() and all(c["doc_id"] == "seed" for c in body["citations"])
    oai = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=600)
    message = oai.chat.completions.create(model="newsrag",
                                          messages=[{"role": "user", "content": QUESTION}]).choices[0].message
    assert message.content.strip()
    assert all(c["doc_id"] == "seed" for c in message.model_extra["newsrag"]["citations"])
    declined = httpx.post(url + "/api/ask", json={"question": OUTSIDE}, timeout=600).json()
    assert declined["abstained"] is True and declined["citations"] == []


def test_the_api_over_postgresql_and_a_second_process_sees_its_writes(real_app_factory, postgres_url,
                                                                         seed_file) -> None:
    first = real_app_factory("smollm2-135m", store=postgres_url)
    second = real_app_factory("smollm2-135m", store=postgres_url)  # another `newsrag serve` on the same store
    with _served(first) as one, _served(second) as two:
        upload = httpx.post(one + "/api/documents", files={"file": ("seed.md", seed_file.read_bytes())}, timeout=300)
        assert upload.status_code == 201 and upload.json()["added"] == ["seed"]
        _every_door(two)  # what one process added, the other answers from
        assert httpx.delete(two + "/api/documents/seed", timeout=60).status_code == 200
        assert httpx.get(one + "/api/documents", timeout=60).json() == []


def test_the_api_through_a_model_server(real_app_factory, smollm2_server, seed_file) -> None:
    app = real_app_factory(f"openai:{smollm2_server}")
    app.ingestor.add([seed_file])
    with _served(app) as url:
        assert httpx.get(url + "/api/health", timeout=30).json()["model"] == app.pipeline.generator.name
        _every_door(url)
