"""Story assignment through the real Ingestor, over both backends (SQLite, PostgreSQL).

The hash embedder stands in for the model: texts that share most words are close, others are not.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

import pytest

from builders import EMB, limits
from fakes import HashEmbedder
from index.migrate import copy_store
from index.records import Document
from index.stories import StoryArticle
from rag.chunking import Chunker
from rag.ingest import Ingestor
from rag.settings import load_settings
from rag.stories.assign import StoryAssigner, StoryParams, choose, lead_of, rebuild, story_id_for
from rag.wiring import open_feeds, open_store, open_stories

LAUNCH = "NASA launched the Artemis rocket from Florida toward the Moon on Wednesday morning after delays."
QUAKE = "A strong earthquake struck central Turkey overnight, and rescuers searched collapsed buildings."


def doc(doc_id: str, day: str, lead: str, outlet: str, title: str = "") -> Document:
    return Document(doc_id, title or lead[:40], lead + " More details followed later in the day from officials.",
                    url=f"https://{outlet}/{doc_id}", published=day)


def _spec(request, tmp_path, name="data"):
    spec = {"data_dir": str(tmp_path / name)}
    if request.param == "postgres":
        spec["store"] = request.getfixturevalue("postgres_url")
    return spec


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def world(request, tmp_path):
    settings = load_settings({}, **_spec(request, tmp_path))
    embedder = HashEmbedder(EMB.dim)
    store = open_store(settings, embedder)
    stories = open_stories(settings, store)
    assigner = StoryAssigner(stories, embedder, StoryParams(horizon_days=7, threshold=0.6))
    ingestor = Ingestor(store, embedder, Chunker(200, 40), limits=limits(), after_write=assigner)
    yield store, stories, ingestor, assigner
    store.close()


def groups(stories) -> list[list[str]]:
    return sorted(sorted(a.doc_id for a in arts) for arts in stories.articles_of(stories.story_ids()).values())


def test_reports_of_one_event_share_a_story_and_others_start_their_own(world):
    store, stories, ingestor, _ = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com"),
                            doc("b", "2024-03-02", LAUNCH.replace("Wednesday", "Thursday"), "bbc.co.uk"),
                            doc("c", "2024-03-02", QUAKE, "cnn.com")])
    assert groups(stories) == [["a", "b"], ["c"]]
    by_doc = stories.stories_of(["a", "b", "c"])
    assert by_doc["a"] == by_doc["b"] == story_id_for("a") and by_doc["c"] == story_id_for("c")
    assert {a.outlet for a in stories.articles_of([by_doc["a"]])[by_doc["a"]]} == {"cnn.com", "bbc.co.uk"}


def test_an_article_beyond_the_horizon_starts_a_story_of_its_own(world):
    _, stories, ingestor, _ = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com"), doc("b", "2024-03-20", LAUNCH, "bbc.co.uk",
                                                                           title="Again")])
    assert groups(stories) == [["a"], ["b"]]


def test_articles_added_one_by_one_or_together_group_alike(world):
    _, stories, ingestor, _ = world
    ingestor.add_documents([doc("b", "2024-03-02", LAUNCH, "bbc.co.uk")])
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH + " Crowds watched.", "cnn.com")])
    assert groups(stories) == [["a", "b"]]


def test_removing_articles_drops_them_and_a_story_with_none_is_gone(world):
    store, stories, ingestor, _ = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com"), doc("b", "2024-03-02", LAUNCH, "bbc.co.uk",
                                                                           title="B"),
                            doc("c", "2024-03-02", QUAKE, "cnn.com")])
    ingestor.remove("a")
    assert groups(stories) == [["b"], ["c"]]
    ingestor.remove("c")
    assert groups(stories) == [["b"]] and stories.count() == (1, 1)


def test_an_edited_article_moves_when_it_no_longer_fits(world):
    _, stories, ingestor, _ = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com"), doc("b", "2024-03-02", LAUNCH, "bbc.co.uk",
                                                                           title="B"),
                            doc("c", "2024-03-02", QUAKE, "cnn.com")])
    ingestor.add_documents([doc("b", "2024-03-02", QUAKE + " The toll rose.", "bbc.co.uk", title=QUAKE[:40])])
    assert groups(stories) == [["a"], ["b", "c"]]


def test_rebuild_recomputes_the_same_stories_in_date_order(world):
    store, stories, ingestor, assigner = world
    ingestor.add_documents([doc("c", "2024-03-02", QUAKE, "cnn.com"), doc("b", "2024-03-02", LAUNCH, "bbc.co.uk"),
                            doc("a", "2024-03-01", LAUNCH, "cnn.com", title="A")])
    before = {a.doc_id: a.story_id for arts in stories.articles_of(stories.story_ids()).values() for a in arts}
    embedded = assigner.embedder.texts
    assert rebuild(store, stories, assigner) == 3
    assert assigner.embedder.texts == embedded  # the stored article vectors are reused
    stories.clear()
    assert rebuild(store, stories, assigner) == 3
    after = {a.doc_id: a.story_id for arts in stories.articles_of(stories.story_ids()).values() for a in arts}
    assert after == before
    assert rebuild(store, stories, assigner, since="2024-03-02") == 2
    assert {a.doc_id: a.story_id for arts in stories.articles_of(stories.story_ids()).values() for a in arts} == before


def test_assignment_reads_only_the_horizon_not_the_archive(world):
    _, stories, ingestor, assigner = world
    windows = []
    within = stories.within
    stories.within = lambda window: windows.append(window) or within(window)
    ingestor.add_documents([doc("a", "2024-03-10", LAUNCH, "cnn.com")])
    assert windows == [("2024-03-03", "2024-03-18")]


def test_lead_skips_bylines_and_datelines():
    text = "AP\n\nWIMBLEDON, England (AP)\n\nRafael Nadal said it is not a sure thing that he will be healthy. He was hurt."
    assert lead_of(text) == "Rafael Nadal said it is not a sure thing that he will be healthy. He was hurt."


@pytest.mark.integration
def test_migrate_copies_the_stories_to_postgresql(tmp_path, postgres_url):
    embedder = HashEmbedder(EMB.dim)
    source_settings = load_settings({}, data_dir=str(tmp_path / "a"))
    source = open_store(source_settings, embedder)
    source_stories = open_stories(source_settings, source)
    Ingestor(source, embedder, Chunker(200, 40), limits=limits(),
             after_write=StoryAssigner(source_stories, embedder, StoryParams(threshold=0.6))).add_documents(
        [doc("a", "2024-03-01", LAUNCH, "cnn.com"), doc("b", "2024-03-02", LAUNCH, "bbc.co.uk", title="B")])
    target_settings = load_settings({}, data_dir=str(tmp_path / "b"), store=postgres_url)
    target = open_store(target_settings, embedder)
    target_stories = open_stories(target_settings, target)
    report = copy_store(source, target, stories=(source_stories, target_stories))
    assert report.story_articles == 2 and groups(target_stories) == [["a", "b"]]
    source.close()
    target.close()


def test_an_article_vector_joins_its_title_and_lead_with_the_mean_of_its_chunks(world):
    store, stories, ingestor, assigner = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com")])
    (stored,) = stories.within(("2024-03-01", "2024-03-02"))
    (prepared,) = store.read_prepared(["a"])
    head = assigner.embedder.embed([f"{prepared.document.title}. {lead_of(prepared.document.text)}"])[0]
    body = prepared.embeddings.mean(axis=0)
    expected = np.concatenate([head / np.linalg.norm(head), body / np.linalg.norm(body)]) / np.sqrt(2)
    assert stored.vector.shape == (2 * EMB.dim,) and np.allclose(stored.vector, expected, atol=1e-5)


def test_rebuild_re_embeds_a_stored_vector_made_without_chunks_and_reuses_one_made_with(world):
    store, stories, ingestor, assigner = world
    ingestor.add_documents([doc("a", "2024-03-01", LAUNCH, "cnn.com"), doc("b", "2024-03-02", QUAKE, "cnn.com")])
    old = replace(stories.within(("2024-03-01", "2024-03-02"))[0], vector=np.ones(EMB.dim, np.float32))
    stories.put([old])  # as written before article vectors held the chunks' mean
    embedded = assigner.embedder.texts
    assert rebuild(store, stories, assigner) == 2
    assert assigner.embedder.texts == embedded + 1  # only "a" embedded again
    assert {a.vector.size for a in stories.within(("2024-03-01", "2024-03-03"))} == {2 * EMB.dim}


def _article(doc_id, story_id, names, vector, day="2024-03-02"):
    return StoryArticle(doc_id, story_id, day, "cnn.com", doc_id, doc_id, tuple(names), np.asarray(vector, np.float32))


def test_a_shared_rare_name_weighs_more_than_a_name_most_of_the_horizon_carries():
    # two stories equally close; "ukraine" is in every candidate, "zaporizhzhia" in one story's only
    pool = [_article("x1", "sx", ["ukraine", "zaporizhzhia"], (1, 0)),
            _article("y1", "sy", ["ukraine"], (0, 1)),
            _article("y2", "sy", ["ukraine"], (0, 1)),
            _article("z1", "sz", ["ukraine"], (-1, 0))]
    article = _article("new", "", ["ukraine", "zaporizhzhia"], (1, 1))
    rare = StoryParams(threshold=0.75, names_weight=0.1, names_cap=1.0)
    assert choose(article, pool, rare) == "sx"
    flat = replace(rare, names_rarity=False)
    assert choose(article, pool, flat) == "sx"  # two names beat one either way
    just_common = _article("new2", "", ["ukraine"], (1, 1))
    assert choose(just_common, pool, rare) is None  # a name of every candidate weighs nothing
    assert choose(just_common, pool, flat) == "sx"  # counted flat, it lifts the pair over the threshold


def test_a_candidate_whose_vector_was_made_another_way_is_ignored():
    pool = [_article("old", "so", [], (1.0, 0.0, 0.0))]
    assert choose(_article("new", "", [], (1.0, 0.0)), pool, StoryParams(threshold=0.1)) is None
    assert choose(_article("new", "", [], (1.0, 0.0, 0.0)), pool, StoryParams(threshold=0.1)) == "so"
