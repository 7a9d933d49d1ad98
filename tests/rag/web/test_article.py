"""`newsrag add URL` and the article extractor, against pages on a local http.server."""
from __future__ import annotations

import pytest
from feed_samples import article_html
from fixture_server import Route

from rag.web.article import fetch_article, is_url, url_doc_id
from rag.web.fetch import FetchError, FetchPolicy, Fetcher

PARAGRAPHS = ["The harbour authority of Valletta approved a new ferry terminal on Tuesday, "
              "the first expansion of the port in thirty years.",
              "Construction starts in May and is expected to take two years, the authority said, "
              "with a budget of 40 million euros."]


@pytest.fixture
def fetcher():
    f = Fetcher(FetchPolicy(allow_private=True, read_timeout=2, per_host_rps=1000))
    yield f
    f.close()


def test_an_article_page_gives_text_and_metadata(web, fetcher) -> None:
    web.routes["/news/ferry"] = Route(article_html("Valletta approves ferry terminal", PARAGRAPHS,
                                                   canonical="https://harbour.example/ferry"),
                                      headers={"Content-Type": "text/html; charset=utf-8"})
    doc = fetch_article(fetcher, web.url("/news/ferry"))
    assert doc.title == "Valletta approves ferry terminal"
    assert doc.published == "2024-03-12" and doc.author == "Ana Reyes" and doc.site == "The Harbour Post"
    assert doc.url == "https://harbour.example/ferry" and doc.source == web.url("/news/ferry")
    assert "40 million euros" in doc.text and "Home" not in doc.text and "Copyright" not in doc.text
    assert doc.id == url_doc_id(web.url("/news/ferry")) and doc.id.startswith("web-127-0-0-1")


@pytest.mark.parametrize("route, problem", [
    (Route(b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}), "not an HTML page"),
    (Route(b"<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>", headers={"Content-Type": "text/html"}),
     "no article text"),
    (Route(b"<p>" + b"word " * 400_000 + b"</p>", headers={"Content-Type": "text/html"}), "too large"),
])
def test_bad_pages_are_reported_with_their_url(web, fetcher, route, problem) -> None:
    web.routes["/bad"] = route
    with pytest.raises(Exception, match=problem) as caught:
        fetch_article(Fetcher(FetchPolicy(allow_private=True, max_bytes=1_000_000)), web.url("/bad"))
    assert str(caught.value).startswith(web.url("/bad") + ":")


def test_is_url() -> None:
    assert is_url("https://a.example/x") and is_url("ftp://x") and is_url("file:///etc/passwd")
    assert not is_url("corpus/") and not is_url("C:/x.md")
    assert not is_url("notes.md") and not is_url("./a://b")


def test_robots_txt_disallowing_the_page_is_an_error(web, fetcher) -> None:
    web.routes["/robots.txt"] = Route(b"User-agent: newsrag\nDisallow: /\n")
    web.routes["/a"] = Route(article_html("A", PARAGRAPHS), headers={"Content-Type": "text/html"})
    with pytest.raises(FetchError, match="robots.txt"):
        fetch_article(fetcher, web.url("/a"))
