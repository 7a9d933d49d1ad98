"""A ``Generator`` that streams chat completions from an OpenAI-compatible server.

``model = "openai:http://host:8080/v1"`` answers through llama.cpp's llama-server, llama-cpp-python's
server, vLLM, Ollama or LM Studio: the pipeline builds the same prompts and runs the same citation
checks and abstention as with the in-process model; only the tokens come over HTTP (server-sent
events from ``POST {url}/chat/completions`` with ``stream: true``).

The model name sent is the ``model_name`` setting, or else the first model the server lists at
``GET {url}/models`` (llama.cpp servers serve one model and ignore the name; Ollama and vLLM need
it). Closing the stream early closes the HTTP response, which tells the server to stop generating.
Not here: timeouts, retries and error messages (``rag.remote.http``); starting a server
(``rag.serving``).
"""
from __future__ import annotations

import threading
from typing import Any, Iterator

from rag.errors import ModelError
from rag.remote.http import PREFIX, ServerClient
from rag.remote.template_tokens import FAMILY_TOKENS, tokens_in_props

SEED = 42  # sent with every request, so a server that samples answers the same prompt alike


class OpenAIGenerator:
    """Chat completions over HTTP; thread-safe, and cheap to build (nothing is contacted yet)."""

    def __init__(self, base_url: str, *, model_name: str, api_key: str, max_tokens: int, temperature: float,
                 connect_timeout: float, read_timeout: float, retries: int, seed: int = SEED,
                 transport: Any = None) -> None:
        self.server = ServerClient(base_url, api_key=api_key, connect_timeout=connect_timeout,
                                   read_timeout=read_timeout, retries=retries, transport=transport)
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self._lock = threading.Lock()
        self._special: frozenset[str] | None = None

    @property
    def name(self) -> str:
        """The ``model`` setting that chose this server, shown next to answers."""
        return f"{PREFIX}{self.server.base_url}"

    def describe(self) -> str:
        # llama-cpp-python's server names its model by the file's full path.
        label = self.model_name.rsplit("/", 1)[-1] or "model"
        return f"{label} at {self.server.base_url} (OpenAI-compatible server)"

    def load(self) -> None:
        """Check now that the server answers, and learn its model name if none was set."""
        self._model()

    def special_tokens(self) -> frozenset[str]:
        """The common template families' control strings, and those of the server's own template.

        The template is asked for once (llama-server's ``GET /props``, one attempt, no retry) and
        kept; a server without that path (404, or any other answer) leaves the table alone. A
        server that cannot be reached is asked again next time, since it may not be up yet.
        """
        with self._lock:
            if self._special is None:
                found = self._props_tokens()
                if found is not None:
                    self._special = FAMILY_TOKENS | found
            return self._special if self._special is not None else FAMILY_TOKENS

    def _props_tokens(self) -> frozenset[str] | None:
        import httpx

        root = self.server.base_url.removesuffix("/v1")
        try:
            response = self.server.client.get(f"{root}/props")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return frozenset()
        try:
            return tokens_in_props(response.json())
        except ValueError:
            return frozenset()

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the reply's text piece by piece as the server sends it.

        Raises ModelError (one line, naming the URL) when the server is down, answers with an
        error, stays silent past the read timeout, or drops the connection mid-answer.
        """
        body = {"model": self._model(), "messages": messages, "stream": True, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "seed": self.seed}
        for event in self.server.stream_events("/chat/completions", body):
            for choice in event.get("choices") or ():
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text

    def _model(self) -> str:
        with self._lock:
            if not self.model_name:
                listed = self.server.get_json("/models")
                ids = [m.get("id") for m in (listed or {}).get("data") or () if isinstance(m, dict)]
                if not ids or not isinstance(ids[0], str):
                    raise ModelError(f"model server {self.server.url('/models')} lists no model; "
                                     "set model_name (NEWSRAG_MODEL_NAME)")
                self.model_name = ids[0]
            return self.model_name
