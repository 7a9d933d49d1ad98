"""Each source of an answer shows its story and how many other outlets carry it (ask, ask --json)."""
from __future__ import annotations

import json

from fakes import HashEmbedder, ScriptedGenerator
from index.records import Document
from rag.cli import main
from rag.stories.corroboration import corroborate

LAUNCH = "NASA launched the Artemis rocket from Florida toward the Moon on Wednesday after long delays."


def _docs():
    return [Document("a", "NASA launches Artemis", LAUNCH, url="https://cnn.com/a", published="2024-03-06"),
            Document("b", "Artemis lifts off", LAUNCH, url="https://bbc.co.uk/b", published="2024-03-07"),
            Document("c", "Artemis flies", LAUNCH + " It flew.", url="https://npr.org/c", published="2024-03-07"),
            Document("d", "Quake in Turkey", "A strong earthquake struck central Turkey overnight, officials said.",
                     url="https://cnn.com/d", published="2024-03-07")]


def test_corroboration_counts_the_other_outlets_of_the_story(make_app):
    app = make_app("unused")
    app.ingestor.add_documents(_docs())
    found = corroborate(app.stories, ["a", "d", "unknown"])
    assert set(found) == {"a", "d"}
    assert found["a"].others == 2 and found["a"].text.endswith("also reported by 2 outlets")
    assert found["d"].others == 0 and found["d"].text.endswith("(only this outlet)")


def test_ask_shows_each_sources_story_in_text_and_json(make_app, settings, monkeypatch, capsys):
    app = make_app("unused")
    app.ingestor.add_documents(_docs())
    monkeypatch.setattr("rag.wiring.make_embedder", lambda s: HashEmbedder())
    monkeypatch.setattr("rag.wiring.make_generator", lambda s: ScriptedGenerator("It lifted off from Florida on Wednesday [1]."))
    base = ["--data-dir", str(settings.data_dir)]
    assert main(base + ["ask", "When did NASA launch the Artemis rocket toward the Moon?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    story = out["citations"][0]["story"]
    assert story["other_outlets"] == 2 and sorted(story["outlets"]) == ["bbc.co.uk", "cnn.com", "npr.org"]
    assert main(base + ["ask", "When did NASA launch the Artemis rocket toward the Moon?"]) == 0
    assert "also reported by 2 outlets)" in capsys.readouterr().out
