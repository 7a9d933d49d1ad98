"""Servers for tests, bound to 127.0.0.1: a free port, and a tiny scripted HTTP server.

`StubServer` answers every request with a handler function, in a thread; it stands in for a model
server only where the real one cannot be made to misbehave on cue (an HTTP 500, a stall).
`EmbeddingServer` serves an embedder's vectors at ``/embeddings`` (llama.cpp cannot serve
all-MiniLM-L6-v2).
"""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Handler = Callable[[BaseHTTPRequestHandler], None]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StubServer:
    """``with StubServer(handler) as url:`` serves ``handler`` on ``url`` (ending in /v1)."""

    def __init__(self, handler: Handler, port: int | None = None) -> None:
        outer = self
        self.requests: list[tuple[str, str, bytes]] = []

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append((self.command, self.path, self.rfile.read(length)))
                handler(self)

            do_GET = do_POST = _any

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port or 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class EmbeddingServer(StubServer):
    """``/embeddings`` answered with ``model``'s vectors, scaled by 3 (so the client must normalise)."""

    def __init__(self, model) -> None:
        def handle(request):
            texts = json.loads(self.requests[-1][2])["input"]
            vectors = model.embed(texts) * 3.0
            send_json(request, 200, {"object": "list", "data": [
                {"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]})
        super().__init__(handle)


def send_json(request: BaseHTTPRequestHandler, status: int, body: object) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


def send_events(request: BaseHTTPRequestHandler, pieces: list[str]) -> None:
    """A chat-completions stream of ``pieces`` in the OpenAI format, then [DONE]."""
    request.send_response(200)
    request.send_header("Content-Type", "text/event-stream")
    request.send_header("Connection", "close")
    request.end_headers()
    for piece in pieces:
        event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
        request.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        request.wfile.flush()
    request.wfile.write(b"data: [DONE]\n\n")
    request.wfile.flush()
    request.close_connection = True
