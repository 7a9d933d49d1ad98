"""robots.txt as RFC 9309 has it, against a real HTTP server on 127.0.0.1 (issue 23, finding 10).

The cache's clock is injected, so "five minutes later" and "a day later" need no sleeping."""
from __future__ import annotations

import gzip
import io

import pytest
from fixture_server import Route

from rag.web.fetch import FetchError, FetchPolicy, Fetcher
from rag.web.robots import RobotsCache

LOCAL = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=1, deadline=5, max_bytes=100_000,
                    per_host_rps=1000, retry_budget=2)
RULES = b"User-agent: *\nDisallow: /private/\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fetcher(clock):
    f = Fetcher(LOCAL, clock=clock)
    yield f
    f.close()


def drop(handler) -> Route:
    """Close the connection without an answer; what the fixture server writes next goes nowhere."""
    import socket

    handler.connection.shutdown(socket.SHUT_RDWR)
    handler.wfile = io.BytesIO()
    handler.close_connection = True
    return Route(b"")


def test_robots_txt_server_error_disallows_until_the_retry_window_passes(web, fetcher, clock) -> None:
    """Once, a 503 was kept for the life of the process; it now holds for five minutes."""
    answer = {"route": Route(b"down", 503, {"Retry-After": "0"})}
    web.routes["/robots.txt"] = lambda handler: answer["route"]
    web.routes["/page"] = Route(b"the page")
    with pytest.raises(FetchError, match="robots.txt.*HTTP 503.*disallow"):
        fetcher.get(web.url("/page"), robots=True)
    answer["route"] = Route(b"User-agent: *\nAllow: /\n")
    clock.now += 60
    with pytest.raises(FetchError, match="robots.txt"):
        fetcher.get(web.url("/page"), robots=True)  # within the window: not asked again
    assert web.hits("/page") == 0 and web.hits("/robots.txt") == 3  # one request and its two retries
    clock.now += 300
    assert fetcher.get(web.url("/page"), robots=True).body == b"the page"
    assert web.hits("/robots.txt") == 4


def test_robots_txt_dropped_connection_disallows(web, fetcher, clock) -> None:
    """An unreachable robots.txt read as allow-all; RFC 9309 says complete disallow."""
    web.routes["/robots.txt"] = drop
    web.routes["/page"] = Route(b"the page")
    with pytest.raises(FetchError, match="robots.txt.*could not be read.*disallow"):
        fetcher.get(web.url("/page"), robots=True)
    assert web.hits("/page") == 0
    web.routes["/robots.txt"] = Route(RULES)
    clock.now += 301
    assert fetcher.get(web.url("/page"), robots=True).body == b"the page"


def test_robots_txt_redirect_is_followed(web, fetcher) -> None:
    """A redirected robots.txt read as allow-all; its target's rules now apply."""
    web.routes["/robots.txt"] = Route(status=301, headers={"Location": "/site/rules.txt"})
    web.routes["/site/rules.txt"] = Route(RULES)
    web.routes["/public/a"] = Route(b"public")
    web.routes["/private/a"] = Route(b"private")
    assert fetcher.get(web.url("/public/a"), robots=True).body == b"public"
    with pytest.raises(FetchError, match="refused by .*robots.txt"):
        fetcher.get(web.url("/private/a"), robots=True)
    assert web.hits("/private/a") == 0 and web.hits("/site/rules.txt") == 1


def test_robots_txt_redirect_loop_disallows(web, fetcher) -> None:
    web.routes["/robots.txt"] = Route(status=302, headers={"Location": "/robots.txt"})
    web.routes["/page"] = Route(b"the page")
    with pytest.raises(FetchError, match="robots.txt.*redirects.*disallow"):
        fetcher.get(web.url("/page"), robots=True)
    assert web.hits("/page") == 0 and web.hits("/robots.txt") == 6  # the first request and five redirects


def test_robots_txt_redirect_hops_are_address_checked(web, monkeypatch, clock) -> None:
    """A public site's robots.txt redirecting to a private address: the hop is refused (nothing
    private is requested) and the site counts as unreachable, so its page is not fetched."""
    import rag.web.fetch as fetch

    real = fetch.check_address
    monkeypatch.setattr(fetch, "check_address", lambda url, host, port, allow_private:
                        "127.0.0.1" if host == "news.example" else real(url, host, port, allow_private))
    web.routes["/robots.txt"] = Route(status=302, headers={"Location": f"http://127.0.0.1:{web.port}/admin"})
    web.routes["/admin"] = Route(b"User-agent: *\nAllow: /\n")
    web.routes["/story"] = Route(b"story")
    f = Fetcher(FetchPolicy(allow_private=False, connect_timeout=1, per_host_rps=1000), clock=clock)
    try:
        with pytest.raises(FetchError, match="robots.txt.*non-public address.*disallow"):
            f.get(f"http://news.example:{web.port}/story", robots=True)
    finally:
        f.close()
    assert [path for path, _ in web.log] == ["/robots.txt"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_robots_txt_client_error_allows_all(web, fetcher, status) -> None:
    web.routes["/robots.txt"] = Route(b"no", status)
    web.routes["/private/a"] = Route(b"ok")
    assert fetcher.get(web.url("/private/a"), robots=True).body == b"ok"


@pytest.mark.parametrize("status", [429, 500, 502])
def test_robots_txt_server_error_or_429_disallows(web, fetcher, status) -> None:
    web.routes["/robots.txt"] = Route(b"busy", status, {"Retry-After": "0"})
    web.routes["/page"] = Route(b"ok")
    with pytest.raises(FetchError, match=f"robots.txt.*HTTP {status}.*disallow"):
        fetcher.get(web.url("/page"), robots=True)
    assert web.hits("/page") == 0


def test_robots_txt_is_cached_for_a_day_not_forever(web, fetcher, clock) -> None:
    web.routes["/robots.txt"] = Route(RULES)
    web.routes["/public/a"] = Route(b"public")
    fetcher.get(web.url("/public/a"), robots=True)
    clock.now += 23 * 3600
    fetcher.get(web.url("/public/a"), robots=True)
    assert web.hits("/robots.txt") == 1
    web.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /\n")
    clock.now += 3600 + 1
    with pytest.raises(FetchError, match="refused by .*robots.txt"):
        fetcher.get(web.url("/public/a"), robots=True)
    assert web.hits("/robots.txt") == 2


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_robots_txt_larger_than_the_page_limit_is_parsed_up_to_its_own(web, fetcher, encoding) -> None:
    """A 600 KiB robots.txt (pages are capped at 100,000 bytes here) once failed as too large and
    then read as allow-all; its first 512 KiB are parsed (RFC 9309: at least 500 KiB)."""
    padding = b"# " + b"x" * 78 + b"\n"
    body = RULES + padding * (600 * 1024 // len(padding)) + b"Disallow: /late/\n"
    if encoding == "gzip":
        web.routes["/robots.txt"] = Route(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    else:
        web.routes["/robots.txt"] = Route(body)
    web.routes["/private/a"] = Route(b"private")
    web.routes["/late/a"] = Route(b"late")
    with pytest.raises(FetchError, match="refused by .*robots.txt"):
        fetcher.get(web.url("/private/a"), robots=True)
    assert fetcher.get(web.url("/late/a"), robots=True).body == b"late"  # past the limit: not read


def test_robots_txt_cache_remembers_a_bounded_number_of_sites(clock) -> None:
    """A sync visits thousands of sites once; their rules must not pile up for the process's life."""
    asked = []

    def download(url: str, max_bytes: int) -> bytes:
        asked.append(url)
        return b"User-agent: *\nAllow: /\n"

    cache = RobotsCache(download, clock=clock, max_sites=2)
    for site in ("http://a.example", "http://b.example", "http://c.example", "http://a.example"):
        cache.check(site + "/x", site + "/x")
    assert asked == [f"http://{s}.example/robots.txt" for s in "abca"]
