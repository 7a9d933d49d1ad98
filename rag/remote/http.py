"""The HTTP side of model servers: one httpx client per backend, and errors as one-line messages.

httpx rather than the ``openai`` package: it is already installed (Gradio depends on it), it
keeps connect and read timeouts apart, and it leaves the retry rule to us, which matters here:
a request is retried only while nothing has been received (connection refused or dropped before
the first byte), never once a reply has started, since a retried stream would repeat text.

Every failure becomes a ``ModelError`` whose message is one line naming the server's URL, so the
CLI and the chat can show it as it is. The API key goes in a header and never into a message.
Not here: what is asked (``rag.remote.generator``, ``rag.remote.embedder``).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator, TypeVar
from urllib.parse import urlsplit

from rag.errors import ConfigError, ModelError
from rag.retry import attempts

PREFIX = "openai:"
_BODY_CHARS = 200  # of an error body, in a message

T = TypeVar("T")


def server_url(spec: str) -> str | None:
    """The base URL of an ``openai:http://host:port/v1`` model setting, or None for other models."""
    if not spec.startswith(PREFIX):
        return None
    return checked_url(spec[len(PREFIX):], "model")


def checked_url(url: str, setting: str) -> str:
    """``url`` without a trailing slash, after checking it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"setting {setting}: {url!r} is not an http:// or https:// URL with a host "
                          "(expected e.g. openai:http://127.0.0.1:8080/v1)")
    if parts.query or parts.fragment:
        raise ConfigError(f"setting {setting}: {url!r}: the server URL takes no query or fragment")
    return url.rstrip("/")


def one_line(text: str, limit: int = _BODY_CHARS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ServerClient:
    """An httpx client bound to one server: headers, timeouts, retries and error messages."""

    def __init__(self, base_url: str, *, api_key: str, connect_timeout: float, read_timeout: float, retries: int,
                 transport: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self._transport = transport
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import httpx
            except ImportError as exc:
                raise ModelError(f"httpx is not installed ({exc}): pip install httpx") from None
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            # Read timeout: the longest silence allowed between two pieces of a reply.
            timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
            self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                        transport=self._transport, follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, path: str) -> Any:
        return self._with_retries(lambda: self._checked_json(self.client.get(path), path), path)

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self._with_retries(lambda: self._checked_json(self.client.post(path, json=body), path), path)

    def stream_events(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST ``body`` and yield the JSON of each server-sent event until ``[DONE]``.

        Retries connection failures until the first event arrives; after that a failure raises.
        """
        import httpx

        for attempt in attempts(self.retries):
            received = finished = False
            try:
                with self.client.stream("POST", path, json=body) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise self._status_error(response, path)
                    for line in response.iter_lines():
                        if not line.startswith("data:"):
                            continue  # blank separators, comments, "event:" lines
                        data = line[len("data:"):].strip()
                        if data == "[DONE]":
                            return
                        event = self._event(data, path)
                        received = True
                        finished = any(c.get("finish_reason") for c in event.get("choices") or ()
                                       if isinstance(c, dict))
                        yield event
                    if not received:
                        # llama-cpp-python's server does this when the prompt exceeds its context.
                        raise ModelError(f"model server {self.url(path)} ended the reply without sending anything "
                                         "(its log says why; a prompt longer than its context is one cause)")
                    if not finished:
                        # Neither [DONE] nor a finish reason: the answer was cut off, not complete.
                        raise ModelError(f"model server {self.url(path)} closed the reply mid-answer")
                    return
            except httpx.TimeoutException as exc:
                raise self._timeout_error(exc, path, received) from None
            except httpx.TransportError as exc:
                if received:
                    raise ModelError(f"model server {self.url(path)} dropped the connection mid-answer "
                                     f"({one_line(_reason(exc))})") from None
                if attempt == self.retries:
                    raise self._unreachable(exc, path) from None
        raise AssertionError("unreachable")

    def url(self, path: str = "") -> str:
        return self.base_url + path

    # -- internals ---------------------------------------------------------------------------

    def _with_retries(self, call: Callable[[], T], path: str) -> T:
        import httpx

        for attempt in attempts(self.retries):
            try:
                return call()
            except httpx.TimeoutException as exc:
                raise self._timeout_error(exc, path, False) from None
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise self._unreachable(exc, path) from None
        raise AssertionError("unreachable")

    def _checked_json(self, response: Any, path: str) -> Any:
        if response.status_code >= 400:
            raise self._status_error(response, path)
        try:
            return response.json()
        except ValueError:
            raise ModelError(f"model server {self.url(path)} answered with something other than JSON: "
                             f"{one_line(response.text)!r}") from None

    def _event(self, data: str, path: str) -> dict[str, Any]:
        try:
            event = json.loads(data)
        except ValueError:
            raise ModelError(f"model server {self.url(path)} sent a malformed event: {one_line(data)!r}") from None
        if not isinstance(event, dict):
            raise ModelError(f"model server {self.url(path)} sent a malformed event: {one_line(data)!r}")
        if event.get("error"):
            # llama-server and vLLM report failures inside the stream this way.
            raise ModelError(f"model server {self.url(path)} failed mid-answer: {_error_text(event)}")
        return event

    def _status_error(self, response: Any, path: str) -> ModelError:
        try:
            detail = _error_text(response.json())
        except ValueError:
            detail = one_line(response.text) or response.reason_phrase
        hint = " (check the api_key setting)" if response.status_code in (401, 403) else ""
        return ModelError(f"model server {self.url(path)} answered HTTP {response.status_code}: {detail}{hint}")

    def _timeout_error(self, exc: Exception, path: str, received: bool) -> ModelError:
        import httpx

        if isinstance(exc, httpx.ConnectTimeout):
            return ModelError(f"model server {self.url(path)} did not accept a connection within "
                              f"{self.connect_timeout:g} s (connect_timeout)")
        during = "mid-answer" if received else "before answering"
        return ModelError(f"model server {self.url(path)} sent nothing for {self.read_timeout:g} s {during} "
                          "(read_timeout)")

    def _unreachable(self, exc: Exception, path: str) -> ModelError:
        tries = f" after {self.retries + 1} attempts" if self.retries else ""
        return ModelError(f"model server {self.url(path)} is not reachable{tries} ({one_line(_reason(exc))}); "
                          "is it running? (newsrag serve-model starts one)")


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _error_text(body: Any) -> str:
    """The message inside an OpenAI-style error body, whatever its exact shape."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            error = error.get("message") or error
        return one_line(error if isinstance(error, str) else json.dumps(error))
    return one_line(json.dumps(body))
