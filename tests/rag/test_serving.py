"""serve-model's command lines, and the command itself running llama-cpp-python's server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import free_port

from rag.errors import ConfigError, ModelError
from builders import server_generator
from rag import serving
from rag.serving import plan_server, wait_ready

ROOT = Path(__file__).resolve().parents[2]


def test_llama_server_gets_its_slots_and_a_context_per_slot(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(serving, "find_llama_server", lambda: Path("/opt/llama/llama-server"))
    plan = plan_server(tmp_path / "m.gguf", port=8111, parallel=4, n_ctx=4096, n_threads=2)
    assert plan.engine == "llama-server" and plan.parallel == 4
    assert plan.url == "http://127.0.0.1:8111/v1" and plan.model_setting == "openai:http://127.0.0.1:8111/v1"
    argv = list(plan.argv)
    assert argv[0] == "/opt/llama/llama-server"
    assert argv[argv.index("--parallel") + 1] == "4" and argv[argv.index("--ctx-size") + 1] == "16384"


def test_without_llama_server_one_slot_is_the_python_server_and_more_is_refused(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(serving, "find_llama_server", lambda: None)
    plan = plan_server(tmp_path / "m.gguf", parallel=1)
    assert plan.engine == "python" and plan.argv[:3] == (sys.executable, "-m", "llama_cpp.server")
    assert plan.argv[plan.argv.index("--interrupt_requests") + 1] == "false"
    with pytest.raises(ModelError, match="--parallel 4 needs llama-server .scripts/install.sh --llama-server"):
        plan_server(tmp_path / "m.gguf", parallel=4)
    with pytest.raises(ModelError, match="llama-server is not built"):
        plan_server(tmp_path / "m.gguf", engine="llama-server")


SECRET = "k3y-for-the-test"


@pytest.mark.parametrize("engine, variable", [("llama-server", "LLAMA_API_KEY"), ("python", "API_KEY")])
def test_served_model_gets_the_api_key_without_showing_it(monkeypatch, tmp_path, engine, variable) -> None:
    """Issue 23, finding 11: `serve-model` started the server without the api_key setting, so anyone who
    reached it could use the model. The key goes in the server's environment: a command line is
    readable by every user of the machine (ps), and the plan's repr is printed in logs and errors."""
    monkeypatch.setattr(serving, "find_llama_server", lambda: Path("/opt/llama/llama-server"))
    for name in ("API_KEY", "LLAMA_API_KEY", "LLAMA_ARG_API_KEY_FILE"):  # never passed on: the key is the setting's
        monkeypatch.setenv(name, "from-the-shell")
    plan = plan_server(tmp_path / "m.gguf", engine=engine, api_key=SECRET)
    assert plan.server_env()[variable] == SECRET
    assert SECRET not in " ".join(plan.argv) and SECRET not in repr(plan)
    assert "from-the-shell" not in plan.server_env().values()
    assert variable not in plan_server(tmp_path / "m.gguf", engine=engine).server_env()
    assert plan.headers() == {"Authorization": f"Bearer {SECRET}"}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "models.example"])
def test_serve_model_on_a_public_host_needs_an_api_key(tmp_path, capsys, monkeypatch, host) -> None:
    """Issue 23, finding 11: `newsrag serve-model --host 0.0.0.0` served the model to the network without
    authentication, even with api_key set."""
    from rag import cli

    monkeypatch.delenv("NEWSRAG_API_KEY", raising=False)
    monkeypatch.setenv("NEWSRAG_CACHE_DIR", str(tmp_path / "cache"))
    command = ["--data-dir", str(tmp_path / "data"), "--model", str(tmp_path / "missing.gguf"),
               "serve-model", "--host", host]
    assert cli.main(command) == 1
    error = capsys.readouterr().err
    assert f"host {host!r}" in error and "NEWSRAG_API_KEY" in error and "--allow-public-host" in error
    with pytest.raises(ConfigError, match="api_key"):
        serving.check_exposure(host, api_key="", allow_public_host=False)
    serving.check_exposure(host, api_key=SECRET, allow_public_host=False)
    serving.check_exposure(host, api_key="", allow_public_host=True)
    serving.check_exposure("127.0.0.1", api_key="", allow_public_host=False)
    # With a key, or the flag, it goes on (here to the missing model file).
    monkeypatch.setenv("NEWSRAG_API_KEY", SECRET)
    assert cli.main(command) == 1
    error = capsys.readouterr().err
    assert "missing.gguf" in error and f"host {host!r}" not in error and SECRET not in error
    monkeypatch.delenv("NEWSRAG_API_KEY")
    assert cli.main([*command, "--allow-public-host"]) == 1
    assert "missing.gguf" in capsys.readouterr().err


@pytest.mark.integration
def test_served_model_with_an_api_key_refuses_requests_without_it(smollm2_path: Path) -> None:
    """Issue 23, finding 11: the served llama_cpp.server answers 401 without the key and 200 with it."""
    import httpx

    plan = plan_server(smollm2_path, port=free_port(), n_threads=1, engine="python", api_key=SECRET)
    process = serving.start_server(plan)
    try:
        wait_ready(plan, process)
        ask = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
        assert httpx.get(plan.url + "/models", timeout=10).status_code == 401
        assert httpx.post(plan.url + "/chat/completions", json=ask, timeout=60).status_code == 401
        wrong = {"Authorization": "Bearer not-the-key"}
        assert httpx.post(plan.url + "/chat/completions", json=ask, headers=wrong, timeout=60).status_code == 401
        assert httpx.post(plan.url + "/chat/completions", json=ask, headers=plan.headers(),
                          timeout=60).status_code == 200
        assert "".join(server_generator(plan.url, max_tokens=8, api_key=SECRET).stream(ask["messages"])).strip()
    finally:
        serving.stop_server(process)


@pytest.mark.integration
def test_serve_model_serves_answers_and_stops_its_server_on_sigterm(tmp_path) -> None:
    port = free_port()
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(tmp_path / "data"), "NEWSRAG_CACHE_DIR": str(tmp_path / "cache"),
           "NEWSRAG_N_THREADS": "1"}
    log = tmp_path / "serve-model.log"  # a file, not a pipe: the server's log would fill a pipe and block it
    with log.open("wb") as out:
        command = subprocess.Popen([sys.executable, "-m", "rag.cli", "--model", "smollm2-135m", "serve-model",
                                    "--port", str(port), "--engine", "python"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        plan = plan_server(Path("unused.gguf"), port=port, engine="python")
        wait_ready(plan, command, timeout_s=120)
        assert "".join(server_generator(plan.url, max_tokens=8).stream([{"role": "user", "content": "Hi"}])).strip()
        # The command says so once its own readiness check passes, which can come after ours.
        said = f"served by python with 1 slot(s) on {plan.url}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and said not in log.read_text(errors="replace"):
            time.sleep(0.2)
        command.send_signal(signal.SIGTERM)
        assert command.wait(30) == 0
        assert said in log.read_text(errors="replace")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _listening(port):
            time.sleep(0.2)
        assert not _listening(port), "the server outlived serve-model"
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


needs_llama_server = pytest.mark.skipif(serving.find_llama_server() is None,
                                        reason="llama-server is not built (scripts/install.sh --llama-server)")


@pytest.fixture(scope="module")
def smollm2_path(tmp_path_factory) -> Path:
    from rag.model_files import resolve_model

    return resolve_model("smollm2-135m", tmp_path_factory.mktemp("cache"))


@pytest.mark.integration
@needs_llama_server
def test_llama_server_decodes_two_conversations_at_once(smollm2_path: Path) -> None:
    import threading

    plan = plan_server(smollm2_path, port=free_port(), parallel=2, n_threads=1)
    process = serving.start_server(plan)
    try:
        wait_ready(plan, process)
        gen = server_generator(plan.url, max_tokens=48)
        ask = [{"role": "user", "content": "Count from 1 to 300, separated by commas."}]
        alone = "".join(gen.stream(ask))
        spans: list[tuple[float, float, str]] = []

        def one() -> None:
            started = time.monotonic()
            text = "".join(gen.stream(ask))
            spans.append((started, time.monotonic(), text))

        threads = [threading.Thread(target=one) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert [text for _, _, text in spans] == [alone, alone]
        (start_a, end_a, _), (start_b, end_b, _) = sorted(spans)
        assert start_b < end_a  # both were being decoded at the same time, not one after the other
    finally:
        serving.stop_server(process)


@pytest.mark.integration
@needs_llama_server
def test_llama_server_embeddings_feed_a_store_and_another_width_is_refused(smollm2_path: Path, settings) -> None:
    from rag.wiring import build

    plan = plan_server(smollm2_path, port=free_port(), n_threads=1, embeddings=True)
    process = serving.start_server(plan)
    try:
        wait_ready(plan, process)
        served = settings.replace(embed_url=plan.url, embed_model="smollm2-135m-mean")
        app = build(served)
        app.ingestor.add([settings.corpus_dir])
        assert app.embedder.dim == 576
        again = build(served)  # a second process on the same store: checked against a stored vector
        assert again.retriever.retrieve("Which firms are pooling chip R&D?")[0].doc_id == "china-ai-alliances"
        other = settings.replace(data_dir=settings.data_dir.parent / "minilm")
        from fakes import HashEmbedder

        build(other, embedder=HashEmbedder(dim=384)).ingestor.add([settings.corpus_dir])
        refused = build(other.replace(embed_url=plan.url, embed_model="hash-embedder"))
        with pytest.raises(ModelError, match=r"returns 576-wide vectors, but the store's are 384-wide"):
            refused.retriever.retrieve("Which firms are pooling chip R&D?")
    finally:
        serving.stop_server(process)
