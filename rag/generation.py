"""Streams chat completions from a local GGUF model through llama-cpp-python.

``Generator`` is the interface the rest of newsrag depends on: it takes OpenAI-style chat
messages and yields pieces of the answer as they are produced. ``LlamaGenerator`` implements it
with one llama.cpp model per instance, found (or assembled) and loaded on first use and shared
safely between threads.

Left out: how a model name becomes a file (``rag.model_files``), building the prompt and checking
citations (the answering pipeline), and wiring settings to the constructor (rag.wiring).
The chat template is the one stored in the GGUF's metadata, applied by llama-cpp itself.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator, Protocol

from rag.errors import ModelError


class Generator(Protocol):
    """What every language-model backend offers: the in-process llama.cpp model (``LlamaGenerator``),
    an OpenAI-compatible server (``rag.remote.generator.OpenAIGenerator``) and the scripted test fake.

    Building one contacts and loads nothing; ``load`` does that early (the chat's warm-up), and
    ``stream`` and ``special_tokens`` do it on first use otherwise.
    """

    @property
    def name(self) -> str:
        """The model's name as shown next to answers (a GGUF's file name, a server's setting)."""
        ...

    def describe(self) -> str:
        """One line saying what the model is and how it runs (for logs and reports)."""
        ...

    def load(self) -> None:
        """Load the model now (or check the server answers); calling it again does nothing more."""
        ...

    def special_tokens(self) -> frozenset[str]:
        """The strings the model's tokenizer reads as control tokens (``<|im_start|>``, ...), which
        the prompt builder neutralises in untrusted text (``rag.quoting``). A remote server names
        what it can (``rag.remote.template_tokens``); anything shaped like ``<|...|>`` is
        neutralised whatever this returns."""
        ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the reply's text in pieces; ``messages`` are ``{"role": ..., "content": ...}``.
        Raises ModelError when the model cannot be loaded or reached, or rejects the request."""
        ...


class LlamaGenerator:
    """A llama.cpp model behind a lock.

    ``model`` is a GGUF path or a known model name (``rag.model_files.KNOWN_MODELS``). On the first
    ``stream`` the file is found (the default model assembled into ``cache_dir`` the first time)
    and loaded, a second or two for the default model, so building one is cheap. Callers from
    several threads queue: the lock is held from the first piece of a reply to its last, because
    a llama.cpp context holds one conversation's state at a time. The lock is released when the
    stream ends, raises, or is closed; a consumer that stops reading early should ``close()`` the
    iterator (CPython also closes it when the last reference goes).
    """

    def __init__(
        self,
        model: str | Path,
        n_ctx: int = 4096,
        n_threads: int = 0,
        max_tokens: int = 192,
        temperature: float = 0.0,
        seed: int = 42,
        flash_attn: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self.model = str(model)
        self.cache_dir = cache_dir
        self.n_ctx = n_ctx
        # 0 means "all cores": llama.cpp's own default is half of them.
        self.n_threads = n_threads or os.cpu_count() or 1
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        # Measured on 2 cores: about 5% sooner to the first token, 6% sooner to the last.
        self.flash_attn = flash_attn
        self._path: Path | None = None
        self._llama: Any = None
        self._special: frozenset[str] | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model's name, or its file's name for a GGUF path, for display next to answers."""
        return Path(self.model).name if self.model.endswith(".gguf") else self.model

    @property
    def model_path(self) -> Path:
        """The GGUF file, found (or assembled) the first time it is asked for."""
        if self._path is None:
            from rag.model_files import resolve_model

            self._path = resolve_model(self.model, self.cache_dir)
        return self._path

    def describe(self) -> str:
        return f"{self.name} (context {self.n_ctx} tokens, {self.n_threads} threads)"

    def load(self) -> None:
        """Load the model now rather than on the first question (e.g. to warm up a server)."""
        with self._lock:
            self._ensure_loaded()

    def special_tokens(self) -> frozenset[str]:
        """The vocabulary entries that are control strings of this model: llama.cpp reads them as
        one control token in the rendered prompt, where an article could open a turn with them.

        That is the tokens the model itself marks as control, the unknown token, and the control
        or user-defined tokens its own chat template writes. Not a token llama.cpp only marked
        control because it looks like one (its attribute keeps the model's "normal"): Qwen2.5
        has ``</s>`` as an ordinary word piece, and withholding it cut Markdown strikethrough
        (``Prices fell <s>10%</s> 12%``) from the evidence. Loads the model on first call (the
        vocabulary walk takes under a second for 151,000 tokens, and is kept).
        """
        with self._lock:
            if self._special is None:
                import llama_cpp

                from rag.remote.template_tokens import tokens_in_template

                llama = self._ensure_loaded()
                model = llama._model
                in_template = tokens_in_template(str(llama.metadata.get("tokenizer.chat_template", "")))
                control, normal = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL, llama_cpp.LLAMA_TOKEN_ATTR_NORMAL
                named = control | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
                found = set()
                for token in range(model.n_vocab()):
                    attr = model.token_get_attr(token)
                    if not attr & (named | llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN):
                        continue
                    text = llama_cpp.llama_vocab_get_text(model.vocab, token).decode("utf-8", "replace")
                    if not text.strip():  # a whitespace token is ordinary spacing, not a turn
                        continue
                    own = (attr & control and not attr & normal) or attr & llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN
                    if own or (attr & named and text in in_template):
                        found.add(text)
                self._special = frozenset(found)
            return self._special

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
        path = self.model_path
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                flash_attn=self.flash_attn,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"cannot load model {path}: {exc} (the file may be truncated or corrupt)"
            ) from None
        return self._llama
