"""The Gradio page is wired as intended, and `newsrag chat` launches it with the settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag import cli
from rag.errors import ConfigError
from ui.app import CHAT_WORKERS, EXAMPLES, create_app, launch_options
from ui.cli import chat, chat_settings


def test_examples_start_with_the_seed_question() -> None:
    assert EXAMPLES[0] == "Which firms are pooling chip R&D?"


def test_page_has_the_chat_sources_settings_and_documents(make_app, settings) -> None:
    demo = create_app(make_app("x"), settings.replace(top_k=4))
    config = demo.get_config_file()
    props = {c["props"].get("elem_id"): c["props"] for c in config["components"] if c["props"].get("elem_id")}
    assert {"nr-chat", "nr-question", "nr-ask", "nr-clear", "nr-sources", "nr-top-k", "nr-model",
            "nr-upload", "nr-report", "nr-remove-id", "nr-remove", "nr-documents"} <= set(props)
    chat = props["nr-chat"]
    assert [e["text"] for e in chat["examples"]] == list(EXAMPLES)
    # Messages are HTML escaped by ui.render_html: no Markdown/LaTeX pass, and Gradio still sanitizes.
    assert chat["render_markdown"] is False and chat["sanitize_html"] is True and chat["allow_tags"] is False
    assert props["nr-top-k"]["value"] == 4
    assert props["nr-model"]["value"] == "scripted"  # the name the generator in use gives
    assert set(props["nr-upload"]["file_types"]) == {".txt", ".md", ".html", ".htm", ".jsonl", ".pdf"}
    chat_events = [d for d in config["dependencies"] if d["trigger_mode"] == "once" and d["queue"]]
    assert chat_events, "asking must be queued, one request per tab at a time"
    assert demo._queue.default_concurrency_limit == 2
    limits = {fn.concurrency_id: fn.concurrency_limit for fn in demo.fns.values()}
    assert limits["chat"] == CHAT_WORKERS and limits["ingest"] == 1


def test_launch_options(settings) -> None:
    options = launch_options(settings)
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["max_file_size"] == int(settings.upload_max_mb * 1024 * 1024)
    assert "auth" not in options and options["ssr_mode"] is False
    with_login = launch_options(settings.replace(auth="ann:pass:word", host="0.0.0.0", port=9000))
    assert with_login["auth"] == ("ann", "pass:word")
    assert with_login["server_name"] == "0.0.0.0" and with_login["server_port"] == 9000


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org", ""])
def test_a_public_host_without_auth_is_refused(settings, host) -> None:
    """Issue 12, finding 3: anyone on the network could upload and remove documents."""
    with pytest.raises(ConfigError) as info:
        launch_options(settings.replace(host=host))
    assert "auth" in str(info.value) and "allow_public_host" in str(info.value)
    assert launch_options(settings.replace(host=host, allow_public_host=True))["server_name"] == host
    assert launch_options(settings.replace(host=host, auth="ann:secret"))["auth"] == ("ann", "secret")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_loopback_host_needs_no_auth(settings, host) -> None:
    assert launch_options(settings.replace(host=host))["server_name"] == host


def test_chat_allow_public_host_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    launched: dict = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    real_open = cli.open_app
    monkeypatch.setattr(cli, "open_app", lambda s, **kw: real_open(s, seed=False))
    base = ["--data-dir", str(tmp_path / "data"), "--model", "smollm2-135m", "chat", "--host", "0.0.0.0"]
    assert cli.main(base) == 1 and launched == {}  # refused: no auth, not allowed
    assert cli.main([*base, "--allow-public-host"]) == 0 and launched["server_name"] == "0.0.0.0"


def test_unexpected_errors_are_not_shown_to_clients(settings) -> None:
    """Issue 12, finding 7: Gradio must not send exception types and messages to the browser."""
    assert launch_options(settings)["show_error"] is False


def test_uploads_leave_no_copies_in_gradios_cache(make_app, settings) -> None:
    """Issue 12, finding 6: Gradio's own upload copies are deleted (newsrag keeps its own)."""
    frequency, age = create_app(make_app("x"), settings).delete_cache
    assert 0 < frequency <= 3600 and 0 < age <= 3600


def bound(demo, elem_id: str):
    """The Python function a component's click runs."""
    block = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)
    return next(fn.fn for fn in demo.fns.values() if any(t[0] == block._id for t in fn.targets))


def test_the_remove_button_asks_and_the_confirm_button_removes(make_app, settings, tmp_path: Path) -> None:
    """Issue 12, finding 10: one click on Remove removes nothing."""
    app = make_app("x")
    (tmp_path / "a.md").write_text("# Tides\n\nThe tide rose early today at the harbour.\n")
    app.ingestor.add([tmp_path / "a.md"])
    demo = create_app(app, settings)
    asked = bound(demo, "nr-remove")("a")
    assert [d.id for d in app.store.documents()] == ["a"]
    assert any("Remove <code>a</code>" in str(value) for value in asked)
    bound(demo, "nr-remove-confirm")("a")
    assert app.store.documents() == []


def test_chat_command_is_registered_and_applies_its_flags(settings) -> None:
    assert cli.cli.get_command(None, "chat") is chat
    changed = chat_settings(settings, "0.0.0.0", 9001)
    assert (changed.host, changed.port) == ("0.0.0.0", 9001)
    assert chat_settings(settings) == settings


def test_chat_command_opens_the_app_and_launches_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    launched: dict = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    opened = []
    real_open = cli.open_app
    monkeypatch.setattr(cli, "open_app", lambda s, **kw: opened.append(s) or real_open(s, seed=False))
    code = cli.main(["--data-dir", str(tmp_path / "data"), "--model", "smollm2-135m", "chat", "--port", "8123",
                     "--top-k", "3"])
    assert code == 0
    assert opened[0].data_dir == tmp_path / "data" and opened[0].port == 8123 and opened[0].top_k == 3
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 8123
