"""An ASGI app served for real by uvicorn on a free 127.0.0.1 port, in a thread of the test."""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterator

import uvicorn

from servers import free_port  # tests/servers.py


@contextlib.contextmanager
def serving(asgi: Any, port: int | None = None) -> Iterator[str]:
    """Serve ``asgi`` until the block ends; yields its base URL (no trailing slash)."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
