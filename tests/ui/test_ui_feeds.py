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
