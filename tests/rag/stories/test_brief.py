"""Briefs, timelines and story lists over an app with the hash embedder, and their CLI commands."""
from __future__ import annotations

import json
import re

import click
import pytest

from fakes import HashEmbedder
from index.records import Document
from rag.cli import main
from rag.stories.brief import brief
from rag.stories.cli import window_of
from rag.stories.story import current_stories, stories_in
from rag.stories.timeline import timeline
from datetime import date

LAUNCH = ("NASA launched the Artemis rocket from Florida toward the Moon on Wednesday, with Boeing and "
          "Lockheed Martin crews watching.")
QUAKE = "A strong earthquake struck central Turkey overnight near Malatya, and rescuers searched the rubble."


def docs():
    return [
        Document("a", "NASA launches Artemis rocket to the Moon", LAUNCH + " More followed.", url="https://cnn.com/a",
                 published="2024-03-06"),
        Document("b", "Artemis rocket lifts off for the Moon", LAUNCH + " Crowds cheered.", url="https://bbc.co.uk/b",
                 published="2024-03-07"),
        Document("c", "Earthquake strikes Turkey", QUAKE + " Toll unknown.", url="https://cnn.com/c",
                 published="2024-03-07"),
        Document("d", "Old launch news", "NASA delayed the Artemis rocket launch from Florida again this spring "
                 "morning.", url="https://cnn.com/d", published="2024-01-02"),
    ]


@pytest.fixture
def app(make_app):
    app = make_app("unused")
    app.ingestor.add_documents(docs())
    return app


WEEK = ("2024-03-04", "2024-03-11")


def test_stories_rank_by_outlets_then_articles_and_keep_to_the_window(app):
    found = stories_in(app.stories, WEEK)
    assert [sorted(a.doc_id for a in s.articles) for s in found] == [["a", "b"], ["c"]]
    assert found[0].outlets == ("bbc.co.uk", "cnn.com") and found[0].first_day == "2024-03-06"
    assert [s.id for s in current_stories(app.stories, today=date(2024, 3, 8))] == [s.id for s in found]


def test_every_brief_sentence_cites_its_articles_and_says_how_many_outlets(app):
    b = brief(app.stories, WEEK, leads=None)
    first, second = b.text.splitlines()
    assert first.endswith("(2 outlets)") and second.endswith("(1 outlet)")
    for item in b.items:
        for s in item.sentences:
            assert s.doc_ids
    # the names both leads state follow the title, in the order first written
    assert re.search(r"Moon \(Florida, Boeing, Lockheed Martin\)\.\[1\]\[2\]", first)
    assert set(b.cited) <= {"a", "b", "c"} and b.sources[0].doc_id in {"a", "b"}
    assert "[1]" in first


def test_a_brief_stops_after_the_story_that_crosses_max_words(app):
    assert len(brief(app.stories, WEEK, max_words=5).items) == 1


def test_a_topic_keeps_the_stories_retrieval_finds(app):
    b = brief(app.stories, WEEK, "earthquake", find=lambda t: ["c"])
    assert [i.story.headline for i in b.items] == ["Earthquake strikes Turkey"]
    assert [i.story.headline for i in brief(app.stories, WEEK, "Turkey earthquake").items] == ["Earthquake strikes Turkey"]


def test_a_timeline_lists_a_storys_articles_in_date_order(app):
    story_id = app.stories.stories_of(["a"])["a"]
    t = timeline(app.stories, story_id)
    assert [(e.day, e.outlet, e.doc_id) for e in t.entries] == [("2024-03-06", "cnn.com", "a"),
                                                                 ("2024-03-07", "bbc.co.uk", "b")]
    by_topic = timeline(app.stories, "Artemis rocket")
    assert [e.doc_id for e in by_topic.entries] == ["d", "a", "b"]


def test_window_of_since_and_from_to():
    today = date(2024, 3, 10)
    assert window_of("7d", None, None, today) == ("2024-03-04", "2024-03-11")
    assert window_of("2024-03-01", None, None, today) == ("2024-03-01", "2024-03-11")
    assert window_of(None, "2024-03-01", "2024-03-03", today) == ("2024-03-01", "2024-03-04")


@pytest.mark.parametrize("since", ["fortnight", "1e9d", "-3d"])
def test_window_of_refuses_a_since_that_is_no_date_or_interval_naming_it(since):
    with pytest.raises(click.BadParameter, match=repr(since)):
        window_of(since, None, None, date(2024, 3, 10))


def test_window_of_refuses_from_after_to():
    with pytest.raises(click.BadParameter, match="2024-03-05"):
        window_of(None, "2024-03-05", "2024-03-01", date(2024, 3, 10))


def test_brief_timeline_and_stories_commands(app, settings, monkeypatch, capsys):
    monkeypatch.setattr("rag.wiring.make_embedder", lambda s: HashEmbedder())
    base = ["--data-dir", str(settings.data_dir)]
    assert main(base + ["brief", "--from", "2024-03-04", "--to", "2024-03-10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stories"][0]["outlet_count"] == 2 and out["citations"][0]["doc_id"] in {"a", "b"}
    assert main(base + ["brief", "--from", "2024-03-04", "--to", "2024-03-10"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("1. ") and "Sources:\n[1] " in text
    assert main(base + ["stories", "list", "--since", "2024-01-01", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert main(base + ["stories", "rebuild", "--since", "2024-03-01"]) == 0
    assert "placed 3 articles; 3 stories hold 4 articles" in capsys.readouterr().out
    story_id = app.stories.stories_of(["c"])["c"]
    assert main(base + ["timeline", story_id]) == 0
    assert "2024-03-07  cnn.com: Earthquake strikes Turkey." in capsys.readouterr().out


def test_by_default_a_brief_gives_the_title_stating_most_without_its_site_and_the_agreed_facts_citing_all(make_app):
    app = make_app("unused")
    app.ingestor.add_documents([Document("a", "NASA launches Artemis rocket to the Moon - CNN", LAUNCH,
                                         url="https://cnn.com/a", published="2024-03-06"),
                                Document("b", "Artemis rocket lifts off | BBC", LAUNCH, url="https://bbc.co.uk/b",
                                         published="2024-03-07")])
    b = brief(app.stories, WEEK)
    (line,) = b.text.splitlines()
    # NASA, Artemis and Moon, which both leads state, are in the first title, not the second
    assert line == "NASA launches Artemis rocket to the Moon (Florida, Boeing, Lockheed Martin).[1][2] (2 outlets)"
