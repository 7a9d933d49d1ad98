"""Every `Embedder` behaviour, run against each backend: the hash fake, sentence-transformers in
process (the real all-MiniLM-L6-v2), and an embeddings server read by `OpenAIEmbedder`.

The server is `servers.EmbeddingServer` on 127.0.0.1 (llama.cpp cannot serve all-MiniLM-L6-v2),
once over the hash fake (unit tier) and once over the real model (integration). The check of a
server's vectors against the store's is part of the contract: a server must refuse to serve a
store whose vectors it does not reproduce, and an in-process model has nothing to check.
Server-specific failures (per-token vectors, HTTP errors, batching) live in remote/test_embedder.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from fakes import HashEmbedder
from servers import EmbeddingServer

from rag.embedding import Embedder, SentenceTransformerEmbedder
from rag.errors import ModelError
from builders import server_embedder

TEXTS = ["Huawei and Baidu pool chip research.", "Floods hit the coast of Peru.", "Rates rose in March."]


@dataclass
class Backend:
    make: Callable[[], Embedder]  # a fresh embedder, not yet checked against any store
    name: str
    checks: bool  # whether it compares itself with the store's vectors (a server does)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module", params=["hash", "hash-server", pytest.param("minilm", marks=pytest.mark.integration),
                                        pytest.param("minilm-server", marks=pytest.mark.integration)])
def backend(request):
    if request.param == "hash":
        yield Backend(lambda: HashEmbedder(dim=32), "hash-embedder", False)
    elif request.param == "minilm":
        model = request.getfixturevalue("minilm")
        yield Backend(lambda: model, "all-MiniLM-L6-v2", False)
    else:
        model = request.getfixturevalue("minilm") if request.param == "minilm-server" else HashEmbedder(dim=32)
        with EmbeddingServer(model) as url:
            yield Backend(lambda: server_embedder(url, embed_model=model.name, server_retries=0), model.name, True)


def test_names_its_model(backend: Backend) -> None:
    assert backend.make().name == backend.name


def test_rows_are_unit_float32_vectors_one_per_text(backend: Backend) -> None:
    embedder = backend.make()
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.99  # different texts, different directions


def test_the_same_text_gives_the_same_vector(backend: Backend) -> None:
    embedder = backend.make()
    together = embedder.embed([TEXTS[0], TEXTS[1], TEXTS[0]])
    alone = embedder.embed([TEXTS[0]])
    assert np.allclose(together[0], together[2], atol=1e-5) and np.allclose(together[0], alone[0], atol=1e-5)


def test_an_empty_list_gives_no_rows(backend: Backend) -> None:
    embedder = backend.make()
    vectors = embedder.embed([])
    assert vectors.shape == (0, embedder.dim) and vectors.dtype == np.float32


def test_a_store_of_its_own_vectors_is_accepted(backend: Backend) -> None:
    stored = backend.make().embed([TEXTS[0]])[0]
    embedder = backend.make()
    embedder.check_against(lambda: (TEXTS[0], stored))
    assert np.allclose(embedder.embed([TEXTS[0]])[0], stored, atol=1e-5)


def test_an_empty_store_is_accepted(backend: Backend) -> None:
    embedder = backend.make()
    embedder.check_against(lambda: None)
    assert embedder.embed([TEXTS[1]]).shape == (1, embedder.dim)


def test_a_store_of_another_models_vectors_is_refused_by_a_server(backend: Backend) -> None:
    """In process, the model is the one its name says (the store compares names); a server
    could be serving anything, so it is checked on a stored chunk before any vector is used."""
    dim = backend.make().dim
    other = np.random.default_rng(0).standard_normal(dim).astype(np.float32)
    embedder = backend.make()
    embedder.check_against(lambda: (TEXTS[0], other / np.linalg.norm(other)))
    if backend.checks:
        with pytest.raises(ModelError, match=r"embedding server http://127\.0\.0\.1:\d+/v1/embeddings does not "
                                             rf"reproduce the store's vectors .* not serving {backend.name}"):
            embedder.embed([TEXTS[1]])
    else:
        assert embedder.embed([TEXTS[1]]).shape == (1, dim)


def test_a_store_of_another_width_is_refused_by_a_server(backend: Backend) -> None:
    dim = backend.make().dim
    wider = np.ones(dim + 8, dtype=np.float32) / np.sqrt(dim + 8)
    embedder = backend.make()
    embedder.check_against(lambda: (TEXTS[0], wider))
    if backend.checks:
        with pytest.raises(ModelError, match=rf"returns {dim}-wide vectors, but the store's are {dim + 8}-wide"):
            embedder.embed([TEXTS[1]])
    else:
        assert embedder.embed([TEXTS[1]]).shape == (1, dim)
