"""The Documents tab's feed handlers (ui.feeds), over a real app and the 127.0.0.1 fixture server."""
from __future__ import annotations

from feed_samples import Item, rss
from fixture_server import Route

from index.records import Document
from ui.feeds import add_feed, remove_feed

TEXT = "The regional council voted on Monday to extend the coastal tram line to the port. " * 10


def test_removing_a_feed_removes_its_articles_and_never_the_users(make_app, web) -> None:
    app = make_app(allow_private_urls=True, fetch_per_host_rps=1000)
    app.ingestor.add_documents([Document("mine", "Mine", "The user's own copy of the story. " * 20,
                                         url=web.url("/a/0"))])
    web.routes["/f.xml"] = Route(rss("F", [Item(f"g{i}", f"Story {i}", web.url(f"/a/{i}"), "2024-03-01",
                                                content=f"<p>Story {i}. {TEXT}</p>") for i in range(2)]))
    assert "2 new" in add_feed(app, web.url("/f.xml"))
    assert "removed 2 of its articles" in remove_feed(app, web.url("/f.xml"))
    assert app.feeds.all() == [] and [d.id for d in app.store.documents()] == ["mine"]
    assert "Not a feed" in remove_feed(app, web.url("/f.xml"))


def test_a_feed_url_over_max_url_chars_is_not_subscribed(make_app, web) -> None:
    """Issue 23, finding 6: a feed's URL is a key in the store (past PostgreSQL's btree limit when
    long); one over max_url_chars is refused, in the tab and on the command line."""
    import pytest

    from rag.errors import ConfigError
    from rag.feeds.cli import _feed_url

    app = make_app(allow_private_urls=True, max_url_chars=100)
    long_url = web.url("/f.xml?" + "q" * 5_000)
    answer = add_feed(app, long_url)
    assert "over max_url_chars" in answer and len(answer) < 1_000
    assert app.feeds.all() == []
    with pytest.raises(ConfigError, match="over max_url_chars"):
        _feed_url(long_url, app.settings)
