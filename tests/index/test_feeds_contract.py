"""Every feed-store behaviour, run against both backends: SQLite, and PostgreSQL.

The feed store is the one `rag.wiring.open_feeds` picks for the store the settings name, so
these tests also check that a PostgreSQL store's feeds are kept in PostgreSQL. The PostgreSQL
side runs on the server the tests start (`postgres_server` in conftest.py), one new database per
test. Schema migrations of the feed tables are tested in tests/index/postgres/.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from builders import EMB, prepared
from fakes import HashEmbedder
from index.errors import StoreError
from index.feeds import Feed, FeedItem
from index.records import Document, PreparedDocument
from rag.wiring import open_feeds, open_store


@pytest.fixture
def stores(backend_settings):
    """(document store, its feed store) on a fresh SQLite folder or PostgreSQL database."""
    store = open_store(backend_settings, HashEmbedder(EMB.dim))
    yield store, open_feeds(backend_settings, store)
    store.close()


def item(key: str, doc_id: str, link: str | None = None, entry_hash: str = "e1", made: bool = False) -> FeedItem:
    return FeedItem(key, link, doc_id, entry_hash, made=made)


def test_add_list_and_get(stores):
    _, feeds = stores
    assert feeds.all() == [] and feeds.get("https://a.example/feed") is None
    assert feeds.add("https://a.example/feed", 3600, title="A") is True
    assert feeds.add("https://b.example/rss", 600) is True
    a = feeds.get("https://a.example/feed")
    assert (a.url, a.title, a.interval_s, a.last_fetch, a.etag, a.items_seen, a.items) == \
        ("https://a.example/feed", "A", 3600, None, None, 0, 0)
    assert a.added_at and a.due(datetime.now(timezone.utc))
    assert [f.url for f in feeds.all()] == ["https://a.example/feed", "https://b.example/rss"]
    assert feeds.add("https://a.example/feed", 60) is False  # known: the interval is updated
    assert feeds.get("https://a.example/feed").interval_s == 60
    assert feeds.add("https://a.example/feed", 7200, update=False) is False
    assert feeds.get("https://a.example/feed").interval_s == 60


@pytest.mark.parametrize("url, interval", [("", 60), ("https://a.example/feed", 0), ("https://a.example/f", -5)])
def test_a_bad_subscription_is_refused(stores, url, interval):
    _, feeds = stores
    with pytest.raises(ValueError):
        feeds.add(url, interval)
    assert feeds.all() == []


def test_record_fetch_keeps_validators_and_last_success_across_failures(stores):
    _, feeds = stores
    url = "https://a.example/feed"
    feeds.add(url, 3600)
    feeds.record_fetch(url, status=200, error=None, etag='"v1"', last_modified="Tue, 12 Mar 2024 09:00:00 GMT",
                       title="Harbour Post", items_seen=3)
    ok = feeds.get(url)
    assert (ok.http_status, ok.etag, ok.last_modified, ok.title, ok.items_seen, ok.last_error) == \
        (200, '"v1"', "Tue, 12 Mar 2024 09:00:00 GMT", "Harbour Post", 3, None)
    assert ok.last_fetch and ok.last_success == ok.last_fetch
    feeds.record_fetch(url, status=500, error="HTTP 500")
    failed = feeds.get(url)
    assert (failed.http_status, failed.last_error, failed.etag, failed.title, failed.items_seen) == \
        (500, "HTTP 500", '"v1"', "Harbour Post", 3)
    assert failed.last_success == ok.last_success
    feeds.record_fetch(url, status=304, error=None)
    back = feeds.get(url)
    assert (back.http_status, back.last_error, back.etag) == (304, None, '"v1"')
    feeds.record_fetch("https://unknown.example/feed", status=200, error=None)  # no such feed: nothing
    assert [f.url for f in feeds.all()] == [url]


def test_record_items_upserts_and_items_of_reads_them_back(stores):
    _, feeds = stores
    url = "https://a.example/feed"
    feeds.add(url, 3600)
    assert feeds.items_of(url) == {} and feeds.items_of("https://other.example/") == {}
    feeds.record_items(url, [])  # nothing to record: no error
    feeds.record_items(url, [item("g1", "doc-1", "https://a.example/1"), item("g2", "doc-2")])
    got = feeds.items_of(url)
    assert set(got) == {"g1", "g2"}
    assert (got["g1"].link, got["g1"].doc_id, got["g1"].entry_hash) == ("https://a.example/1", "doc-1", "e1")
    assert got["g2"].link is None and got["g1"].seen_at
    feeds.record_items(url, [item("g1", "doc-1b", "https://a.example/1b", entry_hash="e2")])
    again = feeds.items_of(url)
    assert (again["g1"].doc_id, again["g1"].link, again["g1"].entry_hash) == ("doc-1b", "https://a.example/1b", "e2")
    assert again["g2"] == got["g2"]
    feeds.record_items(url, [item("g3", "doc-2")])  # two items, one document
    assert feeds.get(url).items == 2


def test_record_items_of_an_unknown_feed_is_a_store_error_and_writes_nothing(stores):
    _, feeds = stores
    with pytest.raises(StoreError):
        feeds.record_items("https://nope.example/feed", [item("g1", "doc-1")])
    feeds.add("https://nope.example/feed", 60)
    assert feeds.items_of("https://nope.example/feed") == {}


def test_doc_for_link_finds_only_a_document_the_feed_made(stores):
    """A user's document with the same URL, or one an item was recorded as a twin of, is not
    handed out: the feed would replace it with its own version."""
    store, feeds = stores
    url = "https://a.example/feed"
    feeds.add(url, 3600)
    feeds.record_items(url, [item("g1", "feed-a-1-0000aaaa", "https://a.example/1", made=True),
                             item("g2", "mine", "https://a.example/2")])
    p = prepared("page", "The council voted on the tram line. " * 6)
    doc = Document(p.document.id, "Tram", p.document.text, url="https://a.example/canonical")
    store.write([PreparedDocument(doc, p.content_hash, p.chunks, p.embeddings, p.text_hashes)])
    assert feeds.doc_for_link("https://a.example/1", url) == "feed-a-1-0000aaaa"
    assert feeds.doc_for_link("https://a.example/canonical", url) is None  # the user's, by URL
    assert feeds.doc_for_link("https://a.example/2", url) is None  # the user's, as a content twin
    assert feeds.doc_for_link("https://a.example/unknown", url) is None


def test_remove_cascades_to_its_items_and_returns_only_its_own_documents(stores):
    _, feeds = stores
    f, g = "https://f.example/feed", "https://g.example/feed"
    feeds.add(f, 3600)
    feeds.add(g, 3600)
    feeds.record_items(f, [item("1", "feed-shared-1111aaaa", "https://x.example/1", made=True),
                           item("2", "feed-only-f-2222bbbb", "https://x.example/2", made=True),
                           item("3", "users-own", "https://x.example/3"),  # a twin of a user's document
                           item("4", "feed-users-3333cccc", "https://x.example/4")])  # the user's, whatever its id
    feeds.record_items(g, [item("a", "feed-shared-1111aaaa", "https://x.example/1")])
    assert feeds.remove(f) == ["feed-only-f-2222bbbb"]
    assert feeds.remove(f) is None and feeds.remove("https://never.example/") is None
    assert [x.url for x in feeds.all()] == [g]
    assert feeds.doc_for_link("https://x.example/2", f) is None  # its item rows went with it
    feeds.add(f, 3600)  # subscribing again starts from nothing
    assert feeds.items_of(f) == {} and feeds.get(f).items == 0
    assert set(feeds.items_of(g)) == {"a"}
    assert feeds.remove(g) == ["feed-shared-1111aaaa"]  # made by f, now referenced by no feed


def test_restore_writes_a_feed_exactly_and_is_all_or_nothing(stores):
    _, feeds = stores
    url = "https://a.example/feed"
    state = Feed(url, "A", 900, "2024-01-01T00:00:00+00:00", last_fetch="2024-03-01T10:00:00+00:00",
                 last_success="2024-02-28T10:00:00+00:00", http_status=500, etag='"e"',
                 last_modified="Tue, 12 Mar 2024 09:00:00 GMT", last_error="HTTP 500", items_seen=2, items=2)
    items = [FeedItem("g1", "https://a.example/1", "d1", "h1", "2024-02-28T10:00:00+00:00", made=True),
             FeedItem("g2", None, "d2", "h2", "2024-02-28T10:00:01+00:00")]
    feeds.add(url, 60)
    feeds.record_items(url, [item("stale", "d0")])
    feeds.restore(state, items)
    assert feeds.get(url) == state
    assert feeds.items_of(url) == {i.key: i for i in items}
    with pytest.raises(StoreError):  # an item without a document: the whole restore is undone
        feeds.restore(replace(state, title="B", items_seen=9), [items[0], FeedItem("g3", None, None, "h3", "x")])
    assert feeds.get(url) == state and feeds.items_of(url) == {i.key: i for i in items}


# -- issue 23: which feed made a document is recorded in the store, not read from its id -----------

def test_a_user_document_whose_id_starts_with_feed_is_never_a_feeds(stores):
    """Finding 2: an item pointing at a user's document named ``feed-...`` (a ``feed.jsonl``
    without ids) made it look like the feed's: the feed replaced it and its removal deleted it.
    Only an item recorded as having made its document (``made``) gives the feed that document."""
    _, feeds = stores
    f = "https://f.example/feed"
    feeds.add(f, 3600)
    feeds.record_items(f, [FeedItem("1", "https://x.example/1", "feed-notes-md-1234abcd", "e1"),  # the user's twin
                           FeedItem("2", "https://x.example/2", "web-any-id-5678ef90", "e2", made=True)])
    got = feeds.items_of(f)
    assert (got["1"].made, got["2"].made) == (False, True)
    assert feeds.doc_for_link("https://x.example/1", f) is None
    assert feeds.doc_for_link("https://x.example/2", f) == "web-any-id-5678ef90"
    assert feeds.remove(f) == ["web-any-id-5678ef90"]


def test_a_document_found_by_link_is_only_the_one_this_feed_made(stores):
    """Finding 3: a second feed reusing a first feed's link got the first feed's document to
    rewrite. The lookup by link answers only for the feed that made the document."""
    _, feeds = stores
    f, g = "https://f.example/feed", "https://g.example/feed"
    feeds.add(f, 3600)
    feeds.add(g, 3600)
    feeds.record_items(f, [FeedItem("a", "https://x.example/story", "doc-f", "e1", made=True)])
    feeds.record_items(g, [FeedItem("b", "https://x.example/story", "doc-f", "e2")])  # g's content twin
    assert feeds.doc_for_link("https://x.example/story", f) == "doc-f"
    assert feeds.doc_for_link("https://x.example/story", g) is None


def test_a_shared_document_passes_to_the_feeds_left_when_its_maker_goes(stores):
    """A document made by one feed and carried (same content) by another is kept for the other
    when the first is removed, and becomes that feed's: removing it then removes the document."""
    _, feeds = stores
    f, g = "https://f.example/feed", "https://g.example/feed"
    feeds.add(f, 3600)
    feeds.add(g, 3600)
    feeds.record_items(f, [FeedItem("a", "https://x.example/1", "doc-shared", "e1", made=True)])
    feeds.record_items(g, [FeedItem("b", "https://x.example/1", "doc-shared", "e2")])
    assert feeds.remove(f) == []
    assert feeds.items_of(g)["b"].made is True
    assert feeds.remove(g) == ["doc-shared"]
