"""Tests for rag.generation: LlamaGenerator's loading, streaming and locking.

Unit tests put a scripted stand-in for the ``llama_cpp`` module in ``sys.modules``; the
integration tests run the real SmolLM2-135M GGUF (and, marked slow, the default model).
"""
from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path
from typing import Any, Iterator

import pytest

from rag.errors import ModelError
from rag.generation import LlamaGenerator
from rag.model_files import resolve_model

HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]


class FakeLlama:
    """Records how it was built and called; streams ``script`` with a pause per piece."""

    instances: list["FakeLlama"] = []
    script: list[str | None] = ["Hel", "", "lo", None, "!"]
    pause = 0.0
    fail_load: Exception | None = None
    fail_stream_at: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        if FakeLlama.fail_load is not None:
            raise FakeLlama.fail_load
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self.closed = 0
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        return self._chunks()

    def _chunks(self) -> Iterator[dict[str, Any]]:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            yield {"choices": [{"delta": {"role": "assistant"}}]}
            for i, piece in enumerate(FakeLlama.script):
                if i == FakeLlama.fail_stream_at:
                    raise ValueError("Requested tokens (9999) exceed context window of 64")
                time.sleep(FakeLlama.pause)
                yield {"choices": [{"delta": {} if piece is None else {"content": piece}}]}
        finally:
            self.active -= 1
            self.closed += 1


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Install the fake module; return a model path that exists."""
    monkeypatch.setattr(FakeLlama, "instances", [])
    module = types.ModuleType("llama_cpp")
    module.Llama = FakeLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_streams_non_empty_deltas_and_loads_lazily(fake_llama: Path) -> None:
    gen = LlamaGenerator(fake_llama, n_ctx=512, n_threads=3, max_tokens=7, temperature=0.5, seed=9)
    assert FakeLlama.instances == []  # nothing loaded by the constructor
    assert list(gen.stream(HELLO)) == ["Hel", "lo", "!"]
    assert list(gen.stream(HELLO)) == ["Hel", "lo", "!"]
    [llama] = FakeLlama.instances  # one model per generator
    assert llama.kwargs == {
        "model_path": str(fake_llama),
        "n_ctx": 512,
        "n_threads": 3,
        "n_threads_batch": 3,
        "seed": 9,
        "flash_attn": True,
        "verbose": False,
    }
    assert llama.calls[0] == {
        "messages": HELLO,
        "stream": True,
        "max_tokens": 7,
        "temperature": 0.5,
        "seed": 9,
    }
    assert gen.name == "m.gguf" and "m.gguf" in gen.describe()


def test_zero_threads_means_all_cores(fake_llama: Path) -> None:
    import os

    assert LlamaGenerator(fake_llama, n_threads=0).n_threads == (os.cpu_count() or 1)


def test_missing_runtime_gives_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    gen = LlamaGenerator(tmp_path / "m.gguf")
    with pytest.raises(ModelError, match="llama-cpp-python is not installed.*scripts/install.sh"):
        list(gen.stream(HELLO))


def test_load_failure_names_the_file(fake_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeLlama, "fail_load", ValueError("Failed to load model from file"))
    gen = LlamaGenerator(fake_llama)
    with pytest.raises(ModelError, match=f"cannot load model {fake_llama}"):
        list(gen.stream(HELLO))
    with pytest.raises(ModelError):  # the lock was released: a second try fails the same way
        gen.load()


def test_missing_file(fake_llama: Path, tmp_path: Path) -> None:
    gen = LlamaGenerator(tmp_path / "gone.gguf")
    with pytest.raises(ModelError, match="model file not found"):
        gen.load()


def test_the_model_setting_is_resolved_on_first_use_not_before(fake_llama: Path, tmp_path: Path) -> None:
    gen = LlamaGenerator("no-such-model", cache_dir=tmp_path)  # building it looks at nothing
    assert gen.name == "no-such-model"
    with pytest.raises(ModelError, match="known model names: qwen2.5-1.5b"):
        gen.load()
    named = LlamaGenerator(str(fake_llama))
    assert named.name == "m.gguf" and FakeLlama.instances == []
    named.load()
    assert FakeLlama.instances[0].kwargs["model_path"] == str(fake_llama)


def test_error_mid_stream_becomes_model_error_and_releases_the_lock(
    fake_llama: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeLlama, "fail_stream_at", 2)
    gen = LlamaGenerator(fake_llama)
    with pytest.raises(ModelError, match="exceed context window"):
        list(gen.stream(HELLO))
    monkeypatch.setattr(FakeLlama, "fail_stream_at", None)
    assert "".join(gen.stream(HELLO)) == "Hello!"


def test_abandoned_stream_releases_the_lock(fake_llama: Path) -> None:
    gen = LlamaGenerator(fake_llama)
    first = gen.stream(HELLO)
    assert next(first) == "Hel"
    first.close()
    [llama] = FakeLlama.instances
    assert llama.closed == 1  # llama-cpp's own stream was closed too
    dropped = gen.stream(HELLO)
    next(dropped)
    del dropped  # CPython closes an unreferenced generator at once
    assert "".join(gen.stream(HELLO)) == "Hello!"


def test_concurrent_callers_queue(fake_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeLlama, "pause", 0.01)
    gen = LlamaGenerator(fake_llama)
    results: list[str] = []

    def ask() -> None:
        results.append("".join(gen.stream(HELLO)))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["Hello!"] * 4
    [llama] = FakeLlama.instances  # loaded once, even though four threads raced to load it
    assert llama.max_active == 1


# -- the real runtime and models -----------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolve_model("smollm2-135m", tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def small_generator(smollm2: Path) -> LlamaGenerator:
    gen = LlamaGenerator(smollm2, n_ctx=1024, n_threads=0, max_tokens=24, temperature=0.0)
    gen.load()
    return gen


@pytest.mark.integration
def test_smollm2_streams_text(small_generator: LlamaGenerator) -> None:
    pieces = list(small_generator.stream(HELLO))
    assert len(pieces) > 1
    assert "".join(pieces).strip()


@pytest.mark.integration
def test_truncated_gguf_is_a_model_error(smollm2: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    with smollm2.open("rb") as src:
        broken.write_bytes(src.read(1024 * 1024))
    gen = LlamaGenerator(broken, n_ctx=256)
    with pytest.raises(ModelError, match="broken.gguf"):
        list(gen.stream(HELLO))


@pytest.mark.integration
def test_two_threads_share_one_model(small_generator: LlamaGenerator) -> None:
    questions = ["Name a colour.", "Name a fruit."]
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def ask(question: str) -> None:
        try:
            results[question] = "".join(small_generator.stream([{"role": "user", "content": question}]))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(results) == sorted(questions)
    assert all(text.strip() for text in results.values())


@pytest.mark.integration
def test_abandoned_real_stream_then_a_new_one(small_generator: LlamaGenerator) -> None:
    first = small_generator.stream([{"role": "user", "content": "Count from one to twenty."}])
    assert next(first)
    assert next(first)
    first.close()
    again = "".join(small_generator.stream(HELLO))
    assert again.strip()


@pytest.mark.integration
def test_prompt_longer_than_the_context_is_a_model_error(small_generator: LlamaGenerator) -> None:
    with pytest.raises(ModelError, match="exceed context window of 1024"):
        list(small_generator.stream([{"role": "user", "content": "word " * 1500}]))
    assert "".join(small_generator.stream(HELLO)).strip()


@pytest.mark.slow
@pytest.mark.integration
def test_default_model_answers(tmp_path_factory: pytest.TempPathFactory) -> None:
    # The same folder as test_models' assembly test, so the 1.1 GB file is built once a session.
    path = resolve_model("qwen2.5-1.5b", tmp_path_factory.getbasetemp() / "qwen-cache")
    gen = LlamaGenerator(path, n_ctx=512, max_tokens=16)
    text = "".join(gen.stream([{"role": "user", "content": "What is the capital of France? One word."}]))
    assert "Paris" in text
