import json

import pytest

STORIES = {
    "chips": "Huawei, Alibaba Cloud, Baidu and Tencent are pooling research on AI chips. " * 3,
    "floods": "Heavy rain caused floods along the coast of Peru, displacing thousands. " * 3,
    "strike": "Hollywood actors ended their strike after a tentative deal with studios. " * 3,
}


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app()
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"id": k, "title": k.title(), "text": v}) for k, v in STORIES.items()))
    app.ingestor.add([path])
    return app


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_each_mode_finds_the_right_story(app, mode):
    passages = app.retriever.retrieve("Which firms are pooling research on AI chips?", mode=mode, top_k=2)
    assert passages[0].doc_id == "chips"
    assert passages[0].dense_score is not None  # every passage is scored on the cosine scale


def test_hybrid_fuses_both_lists(app):
    (top,) = app.retriever.retrieve("actors strike deal studios", top_k=1)
    assert top.doc_id == "strike" and top.keyword_rank == 0 and top.score > 0


def test_unknown_mode_is_refused(app):
    with pytest.raises(ValueError, match="'fuzzy'"):
        app.retriever.retrieve("x", mode="fuzzy")


def test_as_of_leaves_out_later_articles_and_prefers_recent_ones(make_app, tmp_path):
    app = make_app()
    text = "The central bank raised interest rates by half a point. " * 3
    rows = [("old", "2021-01-10"), ("recent", "2023-05-15"), ("future", "2023-09-01")]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "title": i, "published": d, "text": text + i}) for i, d in rows))
    app.ingestor.add([path])
    ids = [p.doc_id for p in app.retriever.retrieve("central bank interest rates", top_k=3, as_of="2023-05-18")]
    assert ids == ["recent", "old"]
    with pytest.raises(ValueError, match="'May 18'"):
        app.retriever.retrieve("rates", as_of="May 18")
