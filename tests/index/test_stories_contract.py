"""Every story-store behaviour, run against both backends: SQLite, and PostgreSQL.

The story store is the one `rag.wiring.open_stories` picks for the store the settings name. The
PostgreSQL side runs on the server the tests start (`postgres_server` in conftest.py). Assignment
itself (which story an article joins) is tested over both in tests/rag/stories/test_assign.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from builders import EMB, prepared
from fakes import HashEmbedder
from index.stories import StoryArticle
from rag.wiring import open_store, open_stories


@pytest.fixture
def stores(backend_settings):
    """(document store, its story store) on a fresh SQLite folder or PostgreSQL database."""
    store = open_store(backend_settings, HashEmbedder(EMB.dim))
    yield store, open_stories(backend_settings, store)
    store.close()


def art(doc_id: str, story_id: str, day: str, names=("nasa",), outlet="a.example") -> StoryArticle:
    vector = np.arange(4, dtype=np.float32) + len(doc_id)
    return StoryArticle(doc_id, story_id, day, outlet, f"Title {doc_id}", f"Lead of {doc_id}.", tuple(names), vector)


def test_put_and_read_back_memberships_with_their_vectors(stores):
    store, stories = stores
    store.write([prepared(d, f"text {d}") for d in ("a", "b", "c")])
    stories.put([art("a", "s1", "2024-03-01"), art("b", "s1", "2024-03-03", names=()), art("c", "s2", "2024-03-09")])
    got = stories.articles_of(["s1", "s2", "nope"])
    assert list(got) == ["s1", "s2"]
    assert [a.doc_id for a in got["s1"]] == ["a", "b"]
    assert got["s1"][0] == art("a", "s1", "2024-03-01")
    assert np.array_equal(got["s1"][0].vector, art("a", "s1", "2024-03-01").vector)
    assert got["s1"][1].names == ()
    assert stories.stories_of(["a", "c", "x"]) == {"a": "s1", "c": "s2"}
    assert stories.count() == (3, 2)


def test_within_is_the_window_of_days_and_story_ids_newest_first(stores):
    store, stories = stores
    store.write([prepared(d, f"text {d}") for d in ("a", "b", "c")])
    stories.put([art("a", "s1", "2024-03-01"), art("b", "s2", "2024-03-05"), art("c", "s3", "2024-03-09")])
    assert [a.doc_id for a in stories.within(("2024-03-01", "2024-03-09"))] == ["a", "b"]
    assert stories.story_ids() == ["s3", "s2", "s1"]
    assert stories.story_ids(("2024-03-02", "2024-03-10")) == ["s3", "s2"]


def test_put_moves_an_article_and_a_story_without_articles_is_gone(stores):
    store, stories = stores
    store.write([prepared("a", "text a")])
    stories.put([art("a", "s1", "2024-03-01")])
    stories.put([art("a", "s2", "2024-03-01")])
    assert stories.story_ids() == ["s2"] and stories.count() == (1, 1)


def test_removing_or_replacing_a_document_removes_its_membership(stores):
    store, stories = stores
    store.write([prepared("a", "text a"), prepared("b", "text b")])
    stories.put([art("a", "s1", "2024-03-01"), art("b", "s2", "2024-03-02")])
    assert store.remove("a")
    assert stories.story_ids() == ["s2"]
    store.write([prepared("b", "new text b")])  # a new version is assigned again by the Ingestor
    assert stories.count() == (0, 0)


def test_a_membership_of_no_stored_document_is_skipped(stores):
    """A document another process removed between its write and its story's is left without one,
    and the write of the others goes on (test_concurrent_readers_and_writers failed on it)."""
    store, stories = stores
    store.write([prepared("a", "text a")])
    stories.put([art("ghost", "s1", "2024-03-01"), art("a", "s1", "2024-03-01")])
    assert stories.stories_of(["ghost", "a"]) == {"a": "s1"}


def test_clear_since_a_day_or_everything(stores):
    store, stories = stores
    store.write([prepared(d, f"text {d}") for d in ("a", "b")])
    stories.put([art("a", "s1", "2024-03-01"), art("b", "s1", "2024-03-05")])
    assert stories.clear("2024-03-03") == 1
    assert [a.doc_id for a in stories.articles_of(["s1"])["s1"]] == ["a"]
    assert stories.clear() == 1 and stories.count() == (0, 0)


def test_urls_of_gives_the_documents_links(stores):
    """The briefs' sources and the chat's Stories view link each article to its page."""
    from dataclasses import replace

    store, stories = stores
    with_url = replace(prepared("a", "text a"), document=replace(prepared("a", "text a").document,
                                                                   url="https://a.example/1"))
    store.write([with_url, prepared("b", "text b")])
    assert stories.urls_of(["a", "b", "ghost"]) == {"a": "https://a.example/1"}
