"""Streams chat completions from a local GGUF model through llama-cpp-python.

``Generator`` is the interface the rest of newsrag depends on: it takes OpenAI-style chat
messages and yields pieces of the answer as they are produced. ``LlamaGenerator`` implements it
with one llama.cpp model per instance, loaded on first use and shared safely between threads.

Left out: choosing or finding the model file (``rag.model_files``), building the prompt and checking
citations (the answering pipeline), and wiring settings to the constructor (the entry points).
The chat template is the one stored in the GGUF's metadata, applied by llama-cpp itself.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator, Protocol, runtime_checkable

from rag.errors import ModelError


@runtime_checkable
class Generator(Protocol):
    """Anything that can stream an assistant reply to a list of chat messages."""

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the reply's text in pieces; ``messages`` are ``{"role": ..., "content": ...}``."""
        ...


class LlamaGenerator:
    """A llama.cpp model behind a lock.

    The model loads on the first ``stream`` (a second or two for the default model), so building
    one is cheap. Callers from several threads queue: the lock is held from the first piece of a
    reply to its last, because a llama.cpp context holds one conversation's state at a time. The
    lock is released when the stream ends, raises, or is closed; a consumer that stops reading
    early should ``close()`` the iterator (CPython also closes it when the last reference goes).
    """

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = 4096,
        n_threads: int = 0,
        max_tokens: int = 192,
        temperature: float = 0.0,
        seed: int = 42,
        flash_attn: bool = True,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        # 0 means "all cores": llama.cpp's own default is half of them.
        self.n_threads = n_threads or os.cpu_count() or 1
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        # Measured on 2 cores: about 5% sooner to the first token, 6% sooner to the last.
        self.flash_attn = flash_attn
        self._llama: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model file's name, for display next to answers."""
        return self.model_path.name

    def describe(self) -> str:
        return f"{self.name} (context {self.n_ctx} tokens, {self.n_threads} threads)"

    def load(self) -> None:
        """Load the model now rather than on the first question (e.g. to warm up a server)."""
        with self._lock:
            self._ensure_loaded()

    def forget_prompt_cache(self) -> None:
        """Drop the evaluated prompt llama.cpp keeps for prefix reuse (for fair timing runs)."""
        with self._lock:
            if self._llama is not None:
                self._llama.reset()

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the reply to ``messages`` piece by piece (about one token per piece).

        Raises ModelError when the model cannot be loaded or rejects the request (for instance a
        prompt longer than the context window).
        """
        with self._lock:
            llama = self._ensure_loaded()
            try:
                chunks = llama.create_chat_completion(
                    messages=messages,
                    stream=True,
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                    # Seeded per call, so the same question gets the same answer whatever was
                    # asked before it.
                    seed=self.seed,
                )
            except ValueError as exc:
                raise ModelError(f"{self.name}: {exc}") from None
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except ValueError as exc:
                # llama-cpp checks the prompt length lazily, on the first step of the stream.
                raise ModelError(f"{self.name}: {exc}") from None
            finally:
                # Close llama-cpp's own generator too, so an abandoned reply stops evaluating
                # before the next caller gets the lock.
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def _ensure_loaded(self) -> Any:
        # Called with self._lock held.
        if self._llama is not None:
            return self._llama
        try:
            import llama_cpp
        except ImportError as exc:
            raise ModelError(
                f"llama-cpp-python is not installed ({exc}): run scripts/install.sh "
                "or pip install llama-cpp-python"
            ) from None
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                flash_attn=self.flash_attn,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"cannot load model {self.model_path}: {exc} (the file may be truncated or corrupt)"
            ) from None
        return self._llama
