"""The whole engine with real parts: MiniLM embeddings, a real GGUF model, SQLite and FAISS."""
import json

import pytest

pytestmark = pytest.mark.integration

EXAMPLE = "Which firms are pooling chip R&D?"


@pytest.mark.slow
def test_example_question_with_the_default_model_names_the_firms_and_cites_the_seed(real_app_factory):
    app = real_app_factory("qwen2.5-1.5b")
    app.index_shipped_corpus()
    answer = app.pipeline.ask(EXAMPLE)
    assert not answer.abstained, answer.text
    for firm in ("Huawei", "Alibaba", "Baidu", "Tencent"):
        assert firm in answer.text, answer.text
    assert answer.citations and answer.citations[0].passage.doc_id == "china-ai-alliances"
    assert "Huawei" in answer.citations[0].span
    assert f"[{answer.citations[0].number}]" in answer.text
    # out of the corpus: says so instead of guessing
    assert app.pipeline.ask("Who won the 2018 FIFA World Cup final?").abstained


def test_tiny_model_answers_with_only_valid_citations(real_app_factory):
    app = real_app_factory("smollm2-135m")
    app.index_shipped_corpus()
    tokens = []
    for item in app.pipeline.stream(EXAMPLE):
        if isinstance(item, str):
            tokens.append(item)
        else:
            answer = item
    assert len(tokens) > 1 and answer.tokens == len(tokens)
    numbers = {c.number for c in answer.citations}
    for sentence in answer.sentences:
        assert set(sentence.citations) <= numbers


def test_real_embedder_ranks_the_right_article_first(real_app_factory, tmp_path):
    app = real_app_factory()
    rows = [
        {"id": "quake", "title": "Earthquake", "text": "A magnitude 7.8 earthquake struck southern Turkey and Syria, toppling buildings."},
        {"id": "ai", "title": "AI alliances", "text": "Huawei, Baidu and Tencent are pooling research on artificial intelligence chips."},
        {"id": "strike", "title": "Strike ends", "text": "Hollywood actors reached a deal with studios, ending a 118-day strike."},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert len(app.ingestor.add([path]).added) == 3
    for mode in ("hybrid", "dense", "keyword"):
        assert app.retriever.retrieve("Where did the earthquake hit?", mode=mode)[0].doc_id == "quake"
