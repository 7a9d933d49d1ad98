"""The API as one FastAPI app: the OpenAI door (/v1), REST (/api, docs at /docs) and MCP (/mcp).

`create_api` wires the three doors to one `Service` and adds the rules every request meets:
- a bearer key (the ``serve_api_key`` setting, compared in constant time) on /v1, /api and /mcp when
  one is set; `check_exposure` refuses to serve a non-loopback host without it (and without the
  chat's ``auth``) unless ``allow_public_host`` says so;
- bounded request bodies (``api_max_body_kb``, an upload ``upload_max_mb``), refused with 413 as they
  arrive rather than read whole;
- errors as JSON in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, on every
  door: validation failures name the field (422; malformed JSON 400), and anything unexpected is
  a 500 whose details go to the log, never a traceback to the caller.
Gradio is not imported here: ui.serve mounts the chat page beside these routes, with the Host
check (ui.hosts) around all of it.
"""
from __future__ import annotations

import contextlib
import hmac
import logging
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag.api import openai, rest
from rag.api.service import UNEXPECTED, ApiError, Service
from rag.errors import ConfigError
from rag.hosts import is_loopback
from rag.settings import Settings
from rag.wiring import Newsrag

log = logging.getLogger(__name__)
GUARDED = ("/v1", "/api", "/mcp")  # the programs' doors; the page has the chat's own login
OPEN = ("/api/health",)  # for load balancers: says only that the process answers


def check_exposure(settings: Settings) -> None:
    """ConfigError for a host beyond this machine without a key for the API and a login for the page."""
    if is_loopback(settings.host) or settings.allow_public_host:
        return
    missing = [what for what, have in (("serve_api_key (NEWSRAG_SERVE_API_KEY) for the API and MCP", settings.serve_api_key),
                                       ('auth = "user:password" (NEWSRAG_AUTH) for the chat page', settings.auth))
               if not have]
    if missing:
        raise ConfigError(f"host {settings.host!r} lets other machines reach newsrag, where anyone could ask, "
                          f"upload and remove documents: set {' and '.join(missing)}, or allow_public_host = "
                          "true (--allow-public-host) to serve it without them")


def error_response(status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}},
                        status_code=status, headers=headers)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


class BearerKey:
    """ASGI middleware: 401 on the guarded doors unless ``Authorization: Bearer <key>`` matches."""

    def __init__(self, app: Any, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and _under(scope["path"], GUARDED) and not _under(scope["path"], OPEN):
            header = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, given = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.key):
                message = "a valid API key is needed: send it as 'Authorization: Bearer <serve_api_key>'"
                response = error_response(401, message, kind="authentication_error", code="invalid_api_key",
                                          headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body on the guarded doors over its limit, by header or as it streams."""

    def __init__(self, app: Any, limit: int, upload_limit: int, upload_paths: tuple[str, ...]) -> None:
        self.app, self.limit, self.upload_limit, self.upload_paths = app, limit, upload_limit, upload_paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not _under(scope["path"], GUARDED):
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.limit
        too_large = error_response(413, f"the request body is over the limit of {limit:,} bytes",
                                   code="request_too_large")
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            await too_large(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await too_large(scope, receive, send)


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "query", "path"))


def install_errors(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def refused(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, kind=exc.kind, param=exc.param, code=exc.code)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "the request body is not valid JSON", code="invalid_json")
        parts = [f"{_field(tuple(e.get('loc', ()))) or 'body'}: {e.get('msg', 'invalid')}" for e in errors[:10]]
        first = _field(tuple(errors[0].get("loc", ()))) if errors else None
        return error_response(422, "; ".join(parts), param=first or None, code="invalid_value")

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, UNEXPECTED, kind="server_error")


def create_api(app: Newsrag, settings: Settings, *, service: Service | None = None) -> FastAPI:
    """The API over ``app``. Serve it (or ui.serve's app, which adds the chat) with uvicorn."""
    from mcp.server.transport_security import TransportSecuritySettings

    from rag.api.mcp import mcp_server

    service = service or Service(app)
    max_body = settings.api_max_body_kb * 1024
    server = mcp_server(service)
    # The Host check of ui.hosts (or a proxy) guards the whole app; the SDK's own would refuse any
    # non-loopback name here. Stateless: no session lives in this process.
    mcp_app = server.streamable_http_app(
        streamable_http_path="/mcp", stateless_http=True, json_response=True, max_request_body_size=max_body,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    api = FastAPI(title="newsrag", version="1", lifespan=lifespan,
                  description="Questions about your news, answered with citations: an OpenAI-compatible "
                              "endpoint (/v1), a REST API (/api) and MCP (/mcp).")
    install_errors(api)
    api.include_router(openai.router(service))
    api.include_router(rest.router(service))
    api.router.routes.extend(mcp_app.routes)
    # An upload's body is the file plus its multipart framing (boundaries, part headers): 64 KB
    # over upload_max_mb lets a file of exactly that size through; rag.uploads checks the file.
    upload_limit = int(settings.upload_max_mb * 1024 * 1024) + 64 * 1024
    api.add_middleware(BodyLimit, limit=max_body, upload_limit=upload_limit, upload_paths=("/api/documents",))
    if settings.serve_api_key:
        api.add_middleware(BearerKey, key=settings.serve_api_key)
    api.state.service = service
    api.state.mcp = server
    return api
