"""OpenAIEmbedder: vectors from an /embeddings server, refused unless they match the store's.

The real-vectors server is a small http.server on 127.0.0.1 that runs the real all-MiniLM-L6-v2
(llama.cpp cannot serve that model, and SmolLM2 without pooling gives one vector per token, which
the last test shows llama-cpp-python's server doing for real).
"""
from __future__ import annotations

import numpy as np
import pytest
from fakes import HashEmbedder
from servers import EmbeddingServer, free_port

from rag.embedding import SentenceTransformerEmbedder
from rag.errors import ModelError
from rag.model_files import resolve_model
from builders import server_embedder
from rag.serving import plan_server, start_server, stop_server, wait_ready
from rag.wiring import build

EXAMPLE = "Which firms are pooling chip R&D?"


def test_vectors_are_normalised_and_batched_for_an_empty_store(settings) -> None:
    with EmbeddingServer(HashEmbedder(dim=16)) as url:
        app = build(settings.replace(embed_url=url, embed_model="hash-embedder", embed_batch_size=2))
        vectors = app.embedder.embed(["a b", "c", "d e f"])
        assert vectors.shape == (3, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert np.allclose(vectors, HashEmbedder(dim=16).embed(["a b", "c", "d e f"]), atol=1e-6)
        assert app.embedder.dim == 16


def test_a_server_of_another_model_is_refused(seed_text_app) -> None:
    with EmbeddingServer(_Other(64)) as url:
        app = build(seed_text_app.replace(embed_url=url, embed_model="hash-embedder"))
        with pytest.raises(ModelError, match=rf"embedding server {url}/embeddings does not reproduce the "
                                             r"store's vectors \(cosine -?0\.\d+ on a stored chunk"):
            app.retriever.retrieve(EXAMPLE)


def test_a_server_of_another_width_is_refused(seed_text_app) -> None:
    with EmbeddingServer(HashEmbedder(dim=32)) as url:
        app = build(seed_text_app.replace(embed_url=url, embed_model="hash-embedder"))
        with pytest.raises(ModelError, match=rf"{url}/embeddings returns 32-wide vectors, but the store's are "
                                             r"64-wide \(hash-embedder\)"):
            app.embedder.embed(["x"])


def test_a_server_of_the_stores_model_is_accepted(seed_text_app) -> None:
    with EmbeddingServer(HashEmbedder(dim=64)) as url:
        app = build(seed_text_app.replace(embed_url=url, embed_model="hash-embedder"))
        assert app.retriever.retrieve("Huawei Baidu Tencent chips")[0].doc_id == "china-ai-alliances"


class _Other(HashEmbedder):
    """Same width as HashEmbedder, different vectors: another model."""

    def embed(self, texts):
        return super().embed([t[::-1] + " other" for t in texts])


@pytest.fixture
def seed_text_app(settings):
    """Settings of a data directory indexed in process with the 64-wide HashEmbedder."""
    app = build(settings, embedder=HashEmbedder(dim=64))
    app.ingestor.add([settings.corpus_dir])
    return settings


@pytest.mark.integration
def test_real_minilm_vectors_over_http_find_what_the_local_model_finds(real_app_factory, tmp_path) -> None:
    local = real_app_factory()
    local.index_shipped_corpus()
    with EmbeddingServer(SentenceTransformerEmbedder()) as url:
        remote = build(local.settings.replace(embed_url=url))
        question = remote.embedder.embed([EXAMPLE])[0]
        assert float(question @ local.embedder.embed([EXAMPLE])[0]) > 0.999
        assert [p.chunk_id for p in remote.retriever.retrieve(EXAMPLE)] == \
               [p.chunk_id for p in local.retriever.retrieve(EXAMPLE)]


@pytest.mark.integration
def test_llama_cpp_server_without_pooling_is_refused(tmp_path) -> None:
    plan = plan_server(resolve_model("smollm2-135m", tmp_path), port=free_port(), n_threads=1, engine="python",
                       embeddings=True)
    process = start_server(plan)
    try:
        wait_ready(plan, process)
        with pytest.raises(ModelError, match=r"returns one vector per token, not one per text"):
            server_embedder(plan.url, embed_model="smollm2").embed(["hello"])
    finally:
        stop_server(process)
