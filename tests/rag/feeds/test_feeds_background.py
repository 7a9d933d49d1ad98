"""The chat's background sync: due feeds are synced in a daemon thread, and answers go on meanwhile."""
from __future__ import annotations

import time

from feed_samples import Item, article_html, rss
from fixture_server import Route

from rag.feeds.background import BackgroundSync


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_due_feeds_sync_in_the_background_without_blocking_answers(make_app, web) -> None:
    app = make_app("Two hydrofoils [1].", allow_private_urls=True, fetch_per_host_rps=1000, min_evidence=0.0)
    text = "The Tarragona council voted to extend the coastal tram line to the port. " * 10
    web.routes["/f.xml"] = Route(rss("F", [Item("slow", "Zanzibar ferry", web.url("/slow"), "2024-03-04")]))
    web.routes["/slow"] = Route(article_html("Zanzibar ferry buys hydrofoils",
                                             ["The Zanzibar ferry company bought two hydrofoils. " * 8]),
                                headers={"Content-Type": "text/html"}, delay=2.0)
    from index.records import Document

    app.ingestor.add_documents([Document("tram", "Tram line", text, published="2024-03-01")])
    app.feeds.add(web.url("/f.xml"), 3600)
    background = BackgroundSync(app.syncer, check_every=0.1).start()
    try:
        wait_for(lambda: web.hits("/slow") == 1)  # the sync is now waiting on the slow page
        answer = app.pipeline.ask("Which tram line will be extended?")
        assert answer.passages and background.runs == 0  # answered while the sync was still running
        wait_for(lambda: background.runs >= 1)
        assert background.last.total("new") == 1
        found = app.retriever.retrieve("Zanzibar ferry hydrofoils", top_k=1)
        assert found[0].title == "Zanzibar ferry"
        wait_for(lambda: background.runs >= 3)
        assert web.hits("/f.xml") == 1  # not due again within its interval
    finally:
        background.stop(timeout=5)
