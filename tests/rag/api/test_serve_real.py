"""`newsrag serve` for real: the command refusing a public host, the command serving all doors in a
subprocess, and the OpenAI door answering with real models (integration; the 1.5B one slow)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from rag.model_files import DEFAULT_MODEL
from servers import free_port
from tests.rag.api.conftest import FOUR_FIRMS, OUTSIDE, QUESTION
from tests.rag.api.served import serving

ROOT = Path(__file__).resolve().parents[3]


def newsrag(*args: str, tmp_path: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("NEWSRAG_API_KEY", None), env.pop("NEWSRAG_AUTH", None)
    return subprocess.Popen([sys.executable, "-m", "rag.cli", "--data-dir", str(tmp_path / "data"), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_serve_refuses_a_public_host_without_key_and_login(tmp_path) -> None:
    process = newsrag("serve", "--host", "0.0.0.0", "--port", str(free_port()), tmp_path=tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "serve_api_key" in err and "auth" in err and "Traceback" not in err
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


@pytest.mark.integration  # the real embedder, in a subprocess
def test_newsrag_serve_serves_the_page_and_every_door(tmp_path) -> None:
    port = free_port()
    process = newsrag("serve", "--port", str(port), tmp_path=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.poll() else "timeout"
            time.sleep(0.5)
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200 and "newsrag" in page.text
        assert httpx.get(url + "/v1/models", timeout=30).json()["data"][0]["id"] == "newsrag"
        found = httpx.get(url + "/api/search", params={"q": "chip R&D"}, timeout=60).json()["passages"]
        assert found[0]["doc_id"] == "china-ai-alliances"
        assert httpx.post(url + "/mcp", json={}, timeout=30).status_code < 500
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ask_real(app, *, strict: bool) -> None:
    from ui.serve import create_server

    app.index_shipped_corpus()
    with serving(create_server(app, app.settings)) as url:
        oai = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=600)
        reply = oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}])
        message = reply.choices[0].message
        record = message.model_extra["newsrag"]
        assert message.content.strip()
        assert all(c["doc_id"] == "china-ai-alliances" for c in record["citations"])
        if strict:
            assert not record["abstained"] and all(f in message.content for f in FOUR_FIRMS)
            assert record["citations"] and message.annotations[0].url_citation.start_index >= 0
        chunks = list(oai.chat.completions.create(model="newsrag", stream=True,
                                                  messages=[{"role": "user", "content": OUTSIDE}]))
        assert chunks[-1].choices[0].delta.model_extra["newsrag"]["abstained"] is True


def test_the_openai_door_with_smollm2(real_app_factory) -> None:
    _ask_real(real_app_factory("smollm2-135m"), strict=False)


@pytest.mark.slow
def test_the_openai_door_with_the_default_model_names_the_four_firms(real_app_factory) -> None:
    _ask_real(real_app_factory(DEFAULT_MODEL), strict=True)
