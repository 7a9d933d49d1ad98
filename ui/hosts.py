"""The Host check of the chat server: requests must name a host the chat is served as.

DNS rebinding: a web page at ``attacker.example`` re-points that name at 127.0.0.1, and the
browser then sends the page's own requests to the chat with ``Host: attacker.example``, as same-
origin calls that may read every answer. Refusing unknown Host names stops that, because the
attacker cannot make a browser send a name it does not own. Allowed: the loopback names, the
configured host, and, when the chat listens on every interface (``0.0.0.0``), any address
literal (only a page served from that address sends it) and the machine's own name. The port is
not checked. Not here: the login (Gradio's auth) and which hosts may listen at all (ui.app).
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocketClose

from rag.hosts import LOOPBACK_NAMES, bare_host, ip_literal, is_wildcard


@dataclass(frozen=True)
class AllowedHosts:
    """The Host names accepted (bare: lower case, no brackets), and whether any address literal is."""

    names: frozenset[str]
    any_address: bool = False


def allowed_hosts(host: str) -> AllowedHosts:
    """The names a chat listening on ``host`` is reached by."""
    names = {*LOOPBACK_NAMES, bare_host(host)}
    if is_wildcard(host):
        names.add(bare_host(socket.gethostname()))
    names.discard("")
    return AllowedHosts(frozenset(names), any_address=is_wildcard(host))


def host_name(header: str) -> str:
    """The host of a Host header, without its port: ``[::1]:7860`` -> ``::1``."""
    header = header.strip()
    if header.startswith("["):
        return bare_host(header.split("]", 1)[0] + "]")
    return bare_host(header.rsplit(":", 1)[0] if header.count(":") == 1 else header)


class HostCheck:
    """ASGI middleware: 403 for an HTTP request, and a refused handshake for a WebSocket, whose Host
    header names another host."""

    def __init__(self, app: Any, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    def allows(self, header: str) -> bool:
        name = host_name(header)
        if name in self.allowed.names:
            return True
        return self.allowed.any_address and ip_literal(name) is not None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and not self.allows(Headers(scope=scope).get("host", "")):
            if scope["type"] == "websocket":
                await WebSocketClose(code=1008)(scope, receive, send)  # uvicorn answers the handshake 403
            else:
                await PlainTextResponse("This host name is not served here.", status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
