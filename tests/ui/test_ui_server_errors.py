"""The chat with its model behind an HTTP server: a failing server shows in the chat, which goes on."""
from __future__ import annotations

from pathlib import Path

from fakes import HashEmbedder
from servers import StubServer, send_events, send_json

from builders import server_generator
from rag.wiring import build
from tests.ui.ui_samples import SEED_REPLY
from ui.handlers import respond

EXAMPLE = "Which firms are pooling chip R&D?"


def test_a_server_error_shows_in_the_conversation_and_the_next_question_is_answered(
        settings, seed_file: Path) -> None:
    replies = [lambda r: send_json(r, 500, {"error": {"message": "model crashed"}}),
               lambda r: send_events(r, [w + " " for w in SEED_REPLY.split(" ")])]
    def handle(request):
        if request.path == "/props":  # asked once for the chat template; this stub publishes none
            send_json(request, 404, {"error": "not found"})
        else:
            replies.pop(0)(request)

    with StubServer(handle) as url:
        app = build(settings, embedder=HashEmbedder(), generator=server_generator(url, model_name="m"))
        app.ingestor.add([seed_file])
        messages, turns, _ = list(respond(app, EXAMPLE, []))[-1]
        assert "nr-error" in messages[-1]["content"]
        assert f"model server {url}/chat/completions answered HTTP 500: model crashed" in messages[-1]["content"]
        assert turns[0].answer_text == ""  # left out of the follow-up history
        messages, turns, panel = list(respond(app, EXAMPLE, turns))[-1]
    assert len(turns) == 2 and "nr-error" not in messages[-1]["content"]
    assert "Huawei" in turns[1].answer_text and 'id="nr-src-2-1"' in panel
