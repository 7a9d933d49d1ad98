"""A real HTTP server on 127.0.0.1 serving fixture feeds and pages, for the web and feed tests.

`FixtureServer` runs the standard library's ThreadingHTTPServer in a background thread. Tests
register routes (path -> `Route`, or a function of the request handler returning one) and read
the request log. A `Route` with an ``etag`` answers 304 to a matching If-None-Match, as a real
feed server does. The server binds 127.0.0.1 only.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0  # seconds before answering (for timeouts)
    drip: float = 0.0  # seconds between body chunks of 1 KB


Handler = Callable[[BaseHTTPRequestHandler], Route]


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.log: list[tuple[str, dict[str, str]]] = []  # (path, request headers)
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                server.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?")[0])
                if callable(route):
                    route = route(self)
                if route is None:
                    route = Route(b"not found", 404)
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                headers = {"Content-Length": str(len(route.body)), **route.headers}
                if route.etag:
                    headers["ETag"] = route.etag
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if route.drip:
                        for i in range(0, len(route.body), 1024):
                            self.wfile.write(route.body[i:i + 1024])
                            self.wfile.flush()
                            time.sleep(route.drip)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.log if p.split("?")[0] == path)

    def start(self) -> "FixtureServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.routes.clear()
        self.log.clear()
