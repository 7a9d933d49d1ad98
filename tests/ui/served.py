"""The chat served for real on a free 127.0.0.1 port, and Gradio's queue driven over HTTP."""
from __future__ import annotations

import contextlib
import json
import socket
import uuid
from typing import Any, Iterator

import httpx

from rag.settings import Settings
from rag.wiring import Newsrag
from ui.app import create_app, launch_options


@contextlib.contextmanager
def serve(app: Newsrag, settings: Settings, *, keep_demo: list | None = None) -> Iterator[str]:
    """Serve the chat on a free 127.0.0.1 port in a background thread; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings.replace(host="127.0.0.1", port=port)
    demo = create_app(app, settings)
    if keep_demo is not None:
        keep_demo.append(demo)
    demo.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@contextlib.contextmanager
def serve_all(app: Newsrag, settings: Settings) -> Iterator[str]:
    """The page as `newsrag serve` serves it (ui.serve: mounted beside the API, under uvicorn)."""
    from tests.rag.api.served import serving
    from ui.serve import create_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings.replace(host="127.0.0.1", port=port)
    with serving(create_server(app, settings), port) as url:
        yield url + "/"


def run_event(client: httpx.Client, fn_index: int, data: list[Any], *,
              headers: dict[str, str] | None = None) -> httpx.Response | list[Any]:
    """Run one event as the page does (queue/join, then its event stream): its output data, or
    the refusing response when joining was not answered with 200."""
    session = uuid.uuid4().hex
    joined = client.post("gradio_api/queue/join", headers=headers,
                         json={"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
                               "session_hash": session})
    if joined.status_code != 200:
        return joined
    with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}, headers=headers) as events:
        for line in events.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed":
                return message["output"].get("data", [])
    raise AssertionError("the event stream ended without a result")
