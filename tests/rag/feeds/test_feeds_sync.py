"""Feed sync against feeds and pages served by a real http.server on 127.0.0.1, with fake models."""
from __future__ import annotations

import gzip
import hashlib
import threading
import time

import pytest
from fakes import HashEmbedder, ScriptedGenerator
from feed_samples import BILLION_LAUGHS, BILLION_LAUGHS_EUC_JP, Item, article_html, atom, rss
from fixture_server import Route

from rag.errors import ModelError

LONG = ("The regional council of Tarragona voted on Monday to extend the coastal tram line to the port, "
        "a project first proposed in 2009. ") * 8


def items(web, n: int, prefix: str = "a", content: str = LONG) -> list[Item]:
    return [Item(f"{prefix}-{i}", f"{prefix.upper()} story {i}", web.url(f"/{prefix}/{i}"), f"2024-03-{i + 1:02d}",
                 summary=f"Teaser {i} of {prefix}.", content=f"<p>{prefix} {i}. {content}</p>" if content else "")
            for i in range(n)]


@pytest.fixture
def app(make_app):
    return make_app(allow_private_urls=True, fetch_timeout=1.0, fetch_max_mb=0.5, fetch_per_host_rps=1000)


def subscribe(app, *urls: str) -> None:
    for url in urls:
        app.feeds.add(url, 3600)


def test_first_sync_indexes_full_content_and_fetches_teaser_links(app, web) -> None:
    web.routes["/full.xml"] = Route(rss("Full Feed", items(web, 3)), etag='"f1"')
    teasers = items(web, 2, prefix="t", content="")
    web.routes["/teasers.xml"] = Route(atom("Teaser Feed", teasers))
    for i, item in enumerate(teasers):
        web.routes[f"/t/{i}"] = Route(article_html(item.title, [f"Full article {i}. " + LONG]),
                                      headers={"Content-Type": "text/html"})
    subscribe(app, web.url("/full.xml"), web.url("/teasers.xml"))
    summary = app.syncer.sync()
    assert [(r.new, r.updated, r.unchanged, r.error) for r in summary.feeds] == [(3, 0, 0, None), (2, 0, 0, None)]
    assert web.hits("/a/0") == 0 and web.hits("/t/0") == 1  # full content is not fetched again
    docs = {d.title: d for d in app.store.documents()}
    assert docs["A story 1"].published == "2024-03-02" and docs["A story 1"].site == "Full Feed"
    assert "Full article 0." in app.store.document_text(docs["T story 0"].id)
    feed = app.feeds.get(web.url("/full.xml"))
    assert (feed.http_status, feed.etag, feed.items_seen, feed.items, feed.last_error) == (200, '"f1"', 3, 3, None)


def test_resync_costs_nothing_when_unchanged_and_reembeds_only_edits(app, web) -> None:
    feed_items = items(web, 4, content="")
    web.routes["/f.xml"] = Route(rss("F", feed_items))  # no validators: the body comes every time
    for i, item in enumerate(feed_items):
        web.routes[f"/a/{i}"] = Route(article_html(item.title, [f"Article {i} text. " + LONG]),
                                      headers={"Content-Type": "text/html"})
    subscribe(app, web.url("/f.xml"))
    assert app.syncer.sync().total("new") == 4
    embedded, fetched = app.embedder.texts, len(web.log)
    again = app.syncer.sync()
    assert (again.total("new"), again.total("updated"), again.total("unchanged")) == (0, 0, 4)
    assert app.embedder.texts == embedded and len(web.log) == fetched + 1  # the feed only
    feed_items[2] = Item(feed_items[2].guid, "A story 2, updated", feed_items[2].link, feed_items[2].published,
                         summary="Teaser 2 of a, now with a correction.")
    web.routes["/f.xml"] = Route(rss("F", feed_items))
    web.routes["/a/2"] = Route(article_html("A story 2, updated", ["Article 2 text. " + LONG, "A correction was added."]),
                               headers={"Content-Type": "text/html"})
    edited = app.syncer.sync()
    assert (edited.total("new"), edited.total("updated"), edited.total("unchanged")) == (0, 1, 3)
    assert app.store.counts()[0] == 4
    assert 0 < app.embedder.texts - embedded < 4  # the changed chunks, not the whole article again


def test_conditional_get_skips_parsing_and_articles(app, web) -> None:
    web.routes["/f.xml"] = Route(rss("F", items(web, 2)), etag='"v1"')
    subscribe(app, web.url("/f.xml"))
    app.syncer.sync()
    result = app.syncer.sync().feeds[0]
    assert (result.status, result.unchanged, result.new) == (304, 2, 0)
    assert web.log[-1][1]["if-none-match"] == '"v1"'


def test_items_match_by_guid_then_link_then_content(app, web) -> None:
    feed_items = items(web, 2)
    web.routes["/f.xml"] = Route(rss("F", feed_items))
    web.routes["/g.xml"] = Route(rss("G", [Item("other-guid", feed_items[0].title, feed_items[0].link,
                                                feed_items[0].published, content=feed_items[0].content)]))
    subscribe(app, web.url("/f.xml"), web.url("/g.xml"))
    summary = app.syncer.sync()
    assert summary.feeds[1].new == 0 and summary.feeds[1].unchanged == 1  # same link: the same document
    assert app.store.counts()[0] == 2
    renamed = [Item("new-guid-" + it.guid, it.title, it.link, it.published, content=it.content) for it in feed_items]
    web.routes["/f.xml"] = Route(rss("F", renamed))
    assert app.syncer.sync([web.url("/f.xml")]).total("new") == 0
    assert app.store.counts()[0] == 2


def test_bad_feeds_fail_alone_with_their_error_recorded(app, web) -> None:
    web.routes["/good.xml"] = Route(rss("Good", items(web, 2)))
    bad = {
        "/slow.xml": (Route(rss("Slow", items(web, 1, "s")), delay=2.5), "timed out"),
        "/404.xml": (Route(b"gone", 404), "HTTP 404"),
        "/500.xml": (Route(b"oops", 500), "HTTP 500"),
        "/loop.xml": (Route(status=302, headers={"Location": "/loop.xml"}), "redirects"),
        "/html.xml": (Route(b"<html><body><p>Not a feed</p></body></html>"), "not an RSS or Atom feed"),
        "/bomb.xml": (Route(BILLION_LAUGHS), "declares XML entities"),
        "/bomb-euc-jp.xml": (Route(BILLION_LAUGHS_EUC_JP), "declares XML entities"),
        "/gzip.xml": (Route(gzip.compress(rss("Z", items(web, 1, "z")) + b" " * 20_000_000),
                            headers={"Content-Encoding": "gzip"}), "decompressed body exceeds"),
        "/huge.xml": (Route(b"<rss>" + b" " * 600_000 + b"</rss>"), "too large"),
    }
    for path, (route, _) in bad.items():
        web.routes[path] = route
    subscribe(app, *[web.url(p) for p in bad], web.url("/good.xml"))
    summary = app.syncer.sync()
    results = {r.url: r for r in summary.feeds}
    for path, (_, problem) in bad.items():
        result = results[web.url(path)]
        assert result.error and problem in result.error, (path, result.error)
        state = app.feeds.get(web.url(path))
        assert problem in state.last_error and state.items == 0 and state.last_fetch
    assert results[web.url("/good.xml")].new == 2 and len(summary.failed_feeds) == len(bad)
    assert app.store.counts()[0] == 2  # nothing of a bad feed was written
    web.routes["/404.xml"] = Route(rss("Back", items(web, 1, "b")))
    app.syncer.sync([web.url("/404.xml")])
    assert app.feeds.get(web.url("/404.xml")).last_error is None


def test_a_teaser_whose_page_fails_is_indexed_from_its_summary(app, web) -> None:
    web.routes["/f.xml"] = Route(rss("F", [Item("x", "Short one", web.url("/gone"), "2024-03-01",
                                                summary="The museum reopens in June after repairs.")]))
    subscribe(app, web.url("/f.xml"))
    result = app.syncer.sync().feeds[0]
    assert result.new == 1 and "HTTP 404" in result.item_errors[0] and "summary" in result.item_errors[0]
    assert "reopens in June" in app.store.document_text(app.store.documents()[0].id)


def test_private_addresses_are_refused_when_not_allowed(make_app, web) -> None:
    app = make_app(allow_private_urls=False)
    web.routes["/f.xml"] = Route(rss("F", items(web, 1)))
    subscribe(app, web.url("/f.xml"), web.url("/f.xml", host="localhost"))
    summary = app.syncer.sync()
    assert all("non-public address" in r.error for r in summary.feeds) and len(summary.feeds) == 2
    assert web.log == []


def test_removing_a_feed_removes_only_its_own_articles(app, web) -> None:
    shared = items(web, 2)
    web.routes["/f.xml"] = Route(rss("F", shared))
    web.routes["/g.xml"] = Route(rss("G", shared[:1]))
    subscribe(app, web.url("/f.xml"), web.url("/g.xml"))
    app.syncer.sync()
    only_f = app.feeds.remove(web.url("/f.xml"))
    assert len(only_f) == 1  # the shared article stays for G
    assert app.feeds.remove(web.url("/nope.xml")) is None
    assert [f.url for f in app.feeds.all()] == [web.url("/g.xml")]


def test_a_feed_never_replaces_or_removes_a_document_it_did_not_create(app, web) -> None:
    """Review finding A: a user's document reached by a feed entry's link, or equal to an entry's
    content, stays the user's: not overwritten by a teaser, not removed with the feed."""
    from index.records import Document
    from rag.feeds.parse import html_text

    user_text = "The user's own full copy of the museum story, with every paragraph. " * 12
    twin = items(web, 1, prefix="w")[0]
    app.ingestor.add_documents([
        Document("mine-by-url", "Museum", user_text, url=web.url("/gone"), published="2024-03-01"),
        Document("mine-twin", twin.title, html_text(twin.content), url=twin.link, published=twin.published)])
    web.routes["/f.xml"] = Route(rss("F", [Item("x", "Short one", web.url("/gone"), "2024-03-01",
                                                summary="The museum reopens in June after repairs."), twin]))
    subscribe(app, web.url("/f.xml"))
    result = app.syncer.sync().feeds[0]
    assert (result.new, result.unchanged, result.error) == (1, 1, None)  # the teaser, and the twin
    assert app.store.document_text("mine-by-url").startswith("The user's own full copy")
    doc_ids = app.feeds.remove(web.url("/f.xml"))
    assert doc_ids and not {"mine-by-url", "mine-twin"} & set(doc_ids)
    for doc_id in doc_ids:
        app.ingestor.remove(doc_id)
    assert sorted(d.id for d in app.store.documents()) == ["mine-by-url", "mine-twin"]


class FailingEmbedder(HashEmbedder):
    """An embedding server that is down for any text with ``marker`` in it."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def embed(self, texts):
        if any(self.marker in t for t in texts):
            raise ModelError("the embedding server at http://127.0.0.1:9/ is down")
        return super().embed(texts)


def test_a_feed_whose_indexing_fails_fails_alone(settings, web) -> None:
    """Review finding B: a ModelError while indexing one feed's entries ended the whole sync."""
    from rag.wiring import build

    app = build(settings.replace(allow_private_urls=True, fetch_per_host_rps=1000),
                embedder=FailingEmbedder("Kaboom"), generator=ScriptedGenerator())
    web.routes["/down.xml"] = Route(rss("Down", items(web, 2, prefix="d", content="Kaboom. " + LONG)))
    web.routes["/good.xml"] = Route(rss("Good", items(web, 2)), etag='"g1"')
    subscribe(app, web.url("/down.xml"), web.url("/good.xml"))
    summary = app.syncer.sync()
    results = {r.url: r for r in summary.feeds}
    down = results[web.url("/down.xml")]
    assert "embedding server" in down.error and down.new == 0 and summary.failed_feeds == [down]
    assert results[web.url("/good.xml")].new == 2 and app.store.counts()[0] == 2
    state = app.feeds.get(web.url("/down.xml"))
    assert "embedding server" in state.last_error and state.last_fetch and state.items == 0
    assert app.feeds.get(web.url("/good.xml")).etag == '"g1"'
    app.embedder.marker = "no longer"  # the server is back: the next sync indexes the feed
    again = app.syncer.sync([web.url("/down.xml")]).feeds[0]
    assert (again.new, again.error) == (2, None) and app.feeds.get(web.url("/down.xml")).last_error is None


def test_unsubscribing_waits_for_the_sync_in_flight(app, web) -> None:
    """Review finding B: a feed removed while a sync was fetching it got its articles back, and
    recording them hit the foreign key."""
    web.routes["/f.xml"] = Route(rss("F", items(web, 1, prefix="s", content="")))
    web.routes["/s/0"] = Route(article_html("S story 0", ["Slow article. " + LONG]),
                               headers={"Content-Type": "text/html"}, delay=1.0)
    subscribe(app, web.url("/f.xml"))
    summaries = []
    syncing = threading.Thread(target=lambda: summaries.append(app.syncer.sync()))
    syncing.start()
    try:
        deadline = time.monotonic() + 10
        while web.hits("/s/0") == 0:
            assert time.monotonic() < deadline, "the sync never fetched the article"
            time.sleep(0.02)
        assert app.syncer.unsubscribe(web.url("/f.xml")) == 1  # after the sync, with its article
    finally:
        syncing.join(10)
    assert summaries[0].feeds[0].new == 1 and summaries[0].failed_feeds == []
    assert app.feeds.all() == [] and app.store.counts()[0] == 0
    assert app.syncer.unsubscribe(web.url("/f.xml")) is None


def test_unsubscribing_can_keep_the_articles(app, web) -> None:
    web.routes["/f.xml"] = Route(rss("F", items(web, 2)))
    subscribe(app, web.url("/f.xml"))
    app.syncer.sync()
    assert app.syncer.unsubscribe(web.url("/f.xml"), keep_documents=True) == 0
    assert app.feeds.all() == [] and app.store.counts()[0] == 2


@pytest.mark.integration
def test_a_postgresql_store_keeps_its_feeds_there_and_a_resync_adds_nothing(make_app, web, postgres_url) -> None:
    import psycopg

    app = make_app(store=postgres_url, allow_private_urls=True, fetch_timeout=1.0, fetch_per_host_rps=1000)
    feed_items = items(web, 2) + items(web, 2, prefix="t", content="")
    web.routes["/f.xml"] = Route(rss("F", feed_items))  # no validators: the body comes every time
    for i in range(2):
        web.routes[f"/t/{i}"] = Route(article_html(f"T story {i}", [f"Full article {i}. " + LONG]),
                                      headers={"Content-Type": "text/html"})
    subscribe(app, web.url("/f.xml"))
    first = app.syncer.sync()
    assert (first.total("new"), first.failed_feeds) == (4, [])
    embedded = app.embedder.texts
    again = app.syncer.sync()
    assert (again.total("new"), again.total("updated"), again.total("unchanged")) == (0, 0, 4)
    assert app.embedder.texts == embedded and app.store.counts()[0] == 4
    feed = app.feeds.get(web.url("/f.xml"))
    assert (feed.http_status, feed.items_seen, feed.items, feed.last_error) == (200, 4, 4, None)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM feed_items WHERE feed_url = %s",
                            (web.url("/f.xml"),)).fetchone()[0] == 4
    assert not app.settings.db_path.exists()  # nothing went to SQLite


# -- issue 23 ----------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def any_app(request, make_app):
    """The app on SQLite, or on PostgreSQL (the server of conftest.py, a database per test)."""
    store = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    return make_app(store=store, allow_private_urls=True, fetch_timeout=1.0, fetch_max_mb=0.5,
                    fetch_per_host_rps=1000)


def test_a_user_document_whose_id_starts_with_feed_is_not_the_feeds(any_app, web) -> None:
    """Finding 2: a user's ``feed-...`` document (as ``feed.jsonl`` without ids gives) that a
    feed entry duplicated was replaced when the entry changed, and deleted with the feed."""
    from index.records import Document
    from rag.feeds.parse import html_text

    app = any_app
    entry = items(web, 1, prefix="n")[0]
    app.ingestor.add_documents([Document("feed-4f2a9c1e", entry.title, html_text(entry.content), url=entry.link,
                                         published=entry.published)])
    web.routes["/f.xml"] = Route(rss("F", [entry]))
    subscribe(app, web.url("/f.xml"))
    first = app.syncer.sync().feeds[0]
    assert (first.new, first.unchanged) == (0, 1)  # the user's twin
    edited = Item(entry.guid, entry.title + " (corrected)", entry.link, entry.published,
                  content=entry.content + "<p>A correction.</p>")
    web.routes["/f.xml"] = Route(rss("F", [edited]))
    assert app.syncer.sync().feeds[0].new == 1  # the edit is a document of the feed's own
    assert app.store.document_text("feed-4f2a9c1e") == html_text(entry.content)
    assert app.syncer.unsubscribe(web.url("/f.xml")) == 1
    assert [d.id for d in app.store.documents()] == ["feed-4f2a9c1e"]


def test_a_feed_cannot_rewrite_another_feeds_article_by_reusing_its_link(any_app, web) -> None:
    """Finding 3: a second feed with the same <link> and other text replaced the first feed's
    article, which kept the first feed's URL and source."""
    app = any_app
    real = items(web, 1, prefix="r")[0]
    fake = Item("forged-guid", real.title, real.link, real.published,
                content="<p>The council cancelled the tram line and the port. " + LONG + "</p>")
    web.routes["/f.xml"] = Route(rss("F", [real]))
    web.routes["/g.xml"] = Route(rss("G", [fake]))
    subscribe(app, web.url("/f.xml"), web.url("/g.xml"))
    summary = app.syncer.sync()
    assert [(r.new, r.updated) for r in summary.feeds] == [(1, 0), (1, 0)]  # g gets a document of its own
    f_doc = app.feeds.items_of(web.url("/f.xml"))[real.guid].doc_id
    g_doc = app.feeds.items_of(web.url("/g.xml"))["forged-guid"].doc_id
    assert f_doc != g_doc
    assert "cancelled" not in app.store.document_text(f_doc) and "cancelled" in app.store.document_text(g_doc)
    assert app.syncer.unsubscribe(web.url("/g.xml")) == 1
    assert [d.id for d in app.store.documents()] == [f_doc]


def test_a_sync_caps_entries_per_feed_and_article_fetches_per_pass(make_app, web) -> None:
    """Finding 5: a feed of 5,000 entries made 3,000 article fetches in one sync. Entries are
    capped per feed (newest first) and fetches per pass; the rest is left, and said to be left,
    for the next sync, which takes it even when the feed answers 304 to its validators."""
    from rag.render_text import sync_text
    from ui.feeds import sync_html

    app = make_app(allow_private_urls=True, fetch_timeout=1.0, fetch_per_host_rps=1000,
                   feed_max_entries=3, feed_max_fetches=2)
    full = items(web, 5)
    full = [full[i] for i in (2, 0, 4, 1, 3)]  # not in date order
    web.routes["/full.xml"] = Route(rss("Full", full), etag='"full"')
    teasers = items(web, 3, prefix="t", content="")
    web.routes["/teasers.xml"] = Route(rss("Teasers", teasers), etag='"teasers"')
    for i, it in enumerate(teasers):
        web.routes[f"/t/{i}"] = Route(article_html(it.title, [f"Full article {i}. " + LONG]),
                                      headers={"Content-Type": "text/html"})
    subscribe(app, web.url("/full.xml"), web.url("/teasers.xml"))
    first = app.syncer.sync()
    assert [(r.new, r.left) for r in first.feeds] == [(3, 2), (2, 1)]
    assert sorted(d.title for d in app.store.documents() if d.title.startswith("A")) == \
        ["A story 2", "A story 3", "A story 4"]  # the newest
    assert sum(web.hits(f"/t/{i}") for i in range(3)) == 2
    assert "2 left for the next sync" in sync_text(first) and "2 left for the next sync" in sync_html(first)
    second = app.syncer.sync()
    assert [(r.new, r.left, r.status) for r in second.feeds] == [(2, 0, 200), (1, 0, 200)]
    assert app.store.counts()[0] == 8
    third = app.syncer.sync()  # all taken: now the validators are kept, and the feeds are not modified
    assert [(r.new, r.status) for r in third.feeds] == [(0, 304), (0, 304)]


def test_a_sync_streams_its_documents_into_the_store(make_app, web) -> None:
    """Finding 5: every document of a sync was made (articles fetched) before the first was written."""
    app = make_app(allow_private_urls=True, fetch_timeout=1.0, fetch_per_host_rps=1000)
    app.ingestor.batch_chunks = 1  # a write per document
    teasers = items(web, 3, prefix="t", content="")
    stored_at_fetch = []

    def page(i):
        def answer(handler):
            stored_at_fetch.append(app.store.counts()[0])
            return Route(article_html(teasers[i].title, [f"Full article {i}. " + LONG]),
                         headers={"Content-Type": "text/html"})
        return answer

    web.routes["/teasers.xml"] = Route(rss("Teasers", teasers))
    for i in range(3):
        web.routes[f"/t/{i}"] = page(i)
    subscribe(app, web.url("/teasers.xml"))
    assert app.syncer.sync().total("new") == 3
    assert stored_at_fetch[-1] >= 1, stored_at_fetch


def test_unsubscribing_waits_for_the_feed_in_flight_not_the_whole_pass(app, web) -> None:
    """Finding 5: the sync lock was held for a whole pass, so "remove feed" waited for every feed."""
    for name in ("a", "b"):
        web.routes[f"/{name}.xml"] = Route(rss(name.upper(), items(web, 1, prefix=name, content="")))
        web.routes[f"/{name}/0"] = Route(article_html(f"{name} story", ["Slow article. " + LONG]),
                                         headers={"Content-Type": "text/html"}, delay=1.0)
    subscribe(app, web.url("/a.xml"), web.url("/b.xml"))
    summaries = []
    syncing = threading.Thread(target=lambda: summaries.append(app.syncer.sync()))
    syncing.start()
    try:
        deadline = time.monotonic() + 10
        while web.hits("/a/0") == 0:
            assert time.monotonic() < deadline, "the sync never fetched the article"
            time.sleep(0.02)
        assert app.syncer.unsubscribe(web.url("/b.xml")) == 0  # before the sync reached it
    finally:
        syncing.join(10)
    assert web.hits("/b/0") == 0 and [r.url for r in summaries[0].feeds] == [web.url("/a.xml")]


def test_feed_and_entry_titles_are_cut_to_max_title_chars(make_app, web) -> None:
    """Finding 6: a feed stored a 2,000,000-character entry title and feed title."""
    app = make_app(allow_private_urls=True, fetch_per_host_rps=1000, max_title_chars=100)
    entry = items(web, 1)[0]
    web.routes["/f.xml"] = Route(rss("Feed " + "T" * 50_000, [Item(entry.guid, "Entry " + "E" * 50_000, entry.link,
                                                                    entry.published, content=entry.content)]))
    subscribe(app, web.url("/f.xml"))
    assert app.syncer.sync().total("new") == 1
    feed, doc = app.feeds.get(web.url("/f.xml")), app.store.documents()[0]
    assert feed.title.startswith("Feed TTT") and len(feed.title) <= 100
    assert doc.title.startswith("Entry EEE") and len(doc.title) <= 100


def test_a_feeds_huge_guid_and_link_are_bounded_before_the_store(any_app, web) -> None:
    """Finding 6 and the PostgreSQL review: a 300,000-character GUID went into feed_items' primary
    key (past PostgreSQL's btree row limit, so the feed could never be recorded), and a link of
    a million characters into a document's URL. A GUID over max_id_chars is kept as its hash; an
    entry whose link is over max_url_chars is refused, naming the feed."""
    app = any_app
    entry = items(web, 2)
    noise = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(4_000))  # not compressible
    huge_guid = Item("urn:" + noise, entry[0].title, entry[0].link, entry[0].published,
                     content=entry[0].content)
    huge_link = Item("short-guid", entry[1].title, entry[1].link + "?" + "q" * 200_000, entry[1].published,
                     content=entry[1].content)
    web.routes["/f.xml"] = Route(rss("F", [huge_guid, huge_link]))
    subscribe(app, web.url("/f.xml"))
    result = app.syncer.sync().feeds[0]
    assert (result.new, result.error) == (1, None)
    assert any("link of 2" in e and web.url("/f.xml") in e for e in result.item_errors), result.item_errors
    (key,) = app.feeds.items_of(web.url("/f.xml"))
    assert len(key) <= app.settings.max_id_chars
    assert app.syncer.sync().feeds[0].unchanged == 1  # the same GUID, the same hashed key
