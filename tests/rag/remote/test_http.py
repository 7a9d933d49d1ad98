"""Model-server settings: URLs are checked where the settings are built; the key stays out of sight."""
from __future__ import annotations

import pytest

from rag.errors import ConfigError
from rag.remote.http import server_url
from rag.settings import load_settings
from rag.wiring import make_generator


def test_server_url_of_a_model_setting() -> None:
    assert server_url("openai:http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1"
    assert server_url("qwen2.5-1.5b") is None and server_url("/models/x.gguf") is None


@pytest.mark.parametrize("bad", ["openai:127.0.0.1:8080", "openai:ftp://host/v1", "openai:http:///v1",
                                 "openai:http://host/v1?x=1"])
def test_bad_server_urls_are_refused_with_the_value(bad: str, tmp_path) -> None:
    with pytest.raises(ConfigError, match="setting model: .*" + bad[len("openai:"):][:10].replace("?", r"\?")):
        load_settings({"NEWSRAG_MODEL": bad}, data_dir=tmp_path)


def test_server_settings_from_the_environment_reach_the_generator(tmp_path) -> None:
    settings = load_settings({"NEWSRAG_MODEL": "openai:http://gpu-box:8000/v1", "NEWSRAG_MODEL_NAME": "qwen2.5-7b",
                              "NEWSRAG_API_KEY": "sk-secret", "NEWSRAG_READ_TIMEOUT": "30",
                              "NEWSRAG_SERVER_RETRIES": "1"}, data_dir=tmp_path)
    assert "sk-secret" not in repr(settings)
    gen = make_generator(settings)
    assert gen.describe() == "qwen2.5-7b at http://gpu-box:8000/v1 (OpenAI-compatible server)"
    assert (gen.server.read_timeout, gen.server.retries, gen.server.api_key) == (30.0, 1, "sk-secret")
    with pytest.raises(ConfigError, match="server_retries"):
        settings.replace(server_retries=9)
    with pytest.raises(ConfigError, match="read_timeout"):
        settings.replace(read_timeout=0)
