"""Every `Generator` behaviour, run against each backend: the scripted fake, llama.cpp in process
(SmolLM2-135M) and an OpenAI-compatible server (llama-cpp-python's, on the same model).

The fake is the unit tier; the real ones load a model or start a server and are marked integration
on their parameter. Backend-specific checks (prompt-cache reset, retries, HTTP errors, the
template-token table) live in test_generation.py and remote/test_generator.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from fakes import ScriptedGenerator

from rag.generation import Generator, LlamaGenerator
from rag.model_files import SMOLLM2, resolve_model
from builders import server_generator

HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]
LONG = [{"role": "user", "content": "Count from one to fifty, in words."}]


@dataclass
class Backend:
    generator: Generator
    name: str  # the display name it must give
    real: bool  # a real model always names some control tokens; the fake names none
    control: frozenset[str] = frozenset()  # control tokens it must name


@pytest.fixture(scope="module", params=["scripted", pytest.param("llama", marks=pytest.mark.integration),
                                        pytest.param("server", marks=pytest.mark.integration)])
def backend(request) -> Backend:
    if request.param == "scripted":
        return Backend(ScriptedGenerator("Hello there, reader."), "scripted", real=False)
    if request.param == "llama":
        path = resolve_model(SMOLLM2, request.getfixturevalue("model_cache_dir"))
        # SmolLM2's chat turns, read from its vocabulary.
        return Backend(LlamaGenerator(path, n_ctx=1024, max_tokens=16), path.name, True,
                       frozenset({"<|im_start|>", "<|im_end|>"}))
    # llama-cpp-python's server publishes no template, so it names the family table only (its
    # <|im_start|> is neutralised by shape, in rag.quoting).
    url = request.getfixturevalue("smollm2_server")
    return Backend(server_generator(url, max_tokens=16), f"openai:{url}", True, frozenset({"<start_of_turn>", "[INST]"}))


def test_streams_non_empty_text_for_a_simple_message(backend: Backend) -> None:
    pieces = list(backend.generator.stream(HELLO))
    assert pieces and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


def test_names_itself_and_describes_itself_on_one_line(backend: Backend) -> None:
    assert backend.generator.name == backend.name
    description = backend.generator.describe()
    assert isinstance(description, str) and description.strip() and "\n" not in description


def test_special_tokens_are_a_frozenset_of_strings_naming_the_chat_turns(backend: Backend) -> None:
    tokens = backend.generator.special_tokens()
    assert isinstance(tokens, frozenset) and all(isinstance(t, str) and t for t in tokens)
    assert backend.control <= tokens and bool(tokens) == backend.real
    assert backend.generator.special_tokens() == tokens


def test_load_is_idempotent(backend: Backend) -> None:
    backend.generator.load()
    tokens = backend.generator.special_tokens()
    backend.generator.load()
    assert backend.generator.special_tokens() == tokens
    assert "".join(backend.generator.stream(HELLO)).strip()


def test_a_stream_closed_early_leaves_the_model_free_for_the_next(backend: Backend) -> None:
    first = iter(backend.generator.stream(LONG))
    assert next(first)
    first.close()
    assert "".join(backend.generator.stream(HELLO)).strip()
