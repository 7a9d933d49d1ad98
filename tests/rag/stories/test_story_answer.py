"""Briefs and timelines answer the questions that ask for them, through the pipeline (ask, chat)."""
from __future__ import annotations

import json
from datetime import date, timedelta

from fakes import HashEmbedder, ScriptedGenerator
from rag.cli import main
from story_samples import NOT_COVERED, OUTLETS, news


def test_what_happened_this_week_is_a_cited_brief_of_the_stories_most_reported_first(make_app):
    app = make_app(NOT_COVERED)  # the model would decline; a brief needs none
    app.ingestor.add_documents(news(date.today()))
    answer = app.pipeline.ask("What happened this week?")
    assert answer.form == "brief" and not answer.abstained
    first, second = answer.sentences
    assert first.text.endswith("reported by 3 outlets.") and first.citations == (1, 2, 3)
    assert second.text.endswith("reported by 1 outlet.") and second.citations == (4,)
    assert {c.passage.source for c in answer.citations[:3]} == {site for site, _ in OUTLETS}
    assert answer.citations[0].span.startswith("A cargo ferry ran aground")
    assert answer.citations[0].passage.url.startswith("https://o")
    assert "[1][2][3]" in answer.text and answer.tokens == 0


def test_how_did_x_develop_is_a_timeline_in_date_order(make_app):
    app = make_app(NOT_COVERED)
    app.ingestor.add_documents(news(date.today()))
    answer = app.pipeline.ask("How did the Port Alder ferry grounding develop?")
    assert answer.form == "timeline"
    days = [s.text[:10] for s in answer.sentences]
    assert days == sorted(days) and len({c.passage.source for c in answer.citations}) >= 3
    assert all(len(s.citations) == 1 for s in answer.sentences)


def test_a_brief_of_a_window_without_stories_is_answered_the_ordinary_way(make_app):
    app = make_app(NOT_COVERED)
    app.ingestor.add_documents(news(date.today() - timedelta(days=60)))
    answer = app.pipeline.ask("What happened this week?")
    assert answer.form == "answer" and answer.abstained


def test_an_ordinary_question_is_not_routed_to_a_brief(make_app):
    app = make_app("All 14 crew members were rescued [1].")
    app.ingestor.add_documents(news(date.today()))
    answer = app.pipeline.ask("How many crew members did the coast guard rescue at Port Alder?")
    assert answer.form == "answer"


def test_ask_routes_a_brief_question_and_says_so_in_json(make_app, settings, monkeypatch, capsys):
    make_app("unused").ingestor.add_documents(news(date.today()))
    monkeypatch.setattr("rag.wiring.make_embedder", lambda s: HashEmbedder())
    monkeypatch.setattr("rag.wiring.make_generator", lambda s: ScriptedGenerator(NOT_COVERED))
    assert main(["--data-dir", str(settings.data_dir), "ask", "What happened this week?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["form"] == "brief" and not out["abstained"]
    assert {"ferry-0", "ferry-1", "ferry-2", "library"} <= {c["doc_id"] for c in out["citations"]}
