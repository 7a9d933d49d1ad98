"""`add --ray`: the chunks embedded by Ray Data actors make the same store as a plain `add`.

A real local Ray instance (2 CPUs, two actors each loading the real embedder) on a few
rtqa-dev-sized articles from the shipped corpus and generated ones.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.ingest import Ingestor
from rag.ray_embed import RayEmbedStream
from rag.settings import load_settings
from rag.wiring import build

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _corpus(path):
    words = "The council voted on the harbour budget while storms closed the coast road".split()
    rows = [{"id": f"n{i}", "title": f"Story {i}", "published": f"2024-03-{10 + i}",
             "text": " ".join(f"{w}{i % 3}" if j % 7 == 0 else w for j, w in enumerate(words * (30 + 25 * i)))}
            for i in range(4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _contents(store):
    out = {}
    for info in store.documents():
        (p,) = store.read_prepared([info.id])
        out[info.id] = (p.document, p.content_hash, p.chunks, p.text_hashes, p.embeddings)
    return out


def test_ray_add_makes_the_same_store_as_a_plain_add(tmp_path):
    corpus = _corpus(tmp_path / "c.jsonl")
    plain = build(load_settings({}, data_dir=tmp_path / "plain", index_corpus_on_first_run=False))
    plain.ingestor.add([corpus])
    app = build(load_settings({}, data_dir=tmp_path / "ray", index_corpus_on_first_run=False))
    stream = RayEmbedStream(app.settings.embed_model, workers=2)
    ray_ingestor = Ingestor(app.store, app.embedder, app.ingestor.chunker, limits=app.ingestor.limits,
                            batch_chunks=16, embed_stream=stream)
    report = ray_ingestor.add([corpus])
    assert report.errors == [] and len(report.added) == 4 and report.embedded == report.chunks > 16
    want, got = _contents(plain.store), _contents(app.store)
    assert want.keys() == got.keys()
    for doc_id in want:
        assert got[doc_id][:4] == want[doc_id][:4]
        # Batches are padded differently on the actors: the same vectors to float rounding.
        assert np.allclose(got[doc_id][4], want[doc_id][4], atol=1e-5)
    assert app.store.check().ok
    again = ray_ingestor.add([corpus])  # nothing left to embed: Ray is not even started
    assert len(again.unchanged) == 4 and again.embedded == 0
