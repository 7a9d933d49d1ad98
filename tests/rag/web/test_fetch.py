"""The safe fetcher against a real HTTP server on 127.0.0.1 (tests allow private addresses to
reach it; the refusal tests switch that off and check the server saw nothing)."""
from __future__ import annotations

import gzip
import time

import pytest
from fixture_server import Route

from rag.web.fetch import FetchError, FetchPolicy, Fetcher, check_address

LOCAL = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=1, deadline=5, max_bytes=100_000,
                    per_host_rps=1000, retry_budget=2)


@pytest.fixture
def fetcher():
    f = Fetcher(LOCAL)
    yield f
    f.close()


def test_get_sends_a_newsrag_user_agent_and_returns_the_body(web, fetcher) -> None:
    web.routes["/a"] = Route(b"hello", headers={"Content-Type": "text/html; charset=utf-8"})
    r = fetcher.get(web.url("/a"))
    assert (r.status, r.body, r.content_type) == (200, b"hello", "text/html")
    assert web.log[0][1]["user-agent"].startswith("newsrag/")
    assert web.log[0][1]["host"] == f"127.0.0.1:{web.port}"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "192.168.1.9",
                                  "169.254.169.254", "224.0.0.1", "0.0.0.0"])
def test_private_addresses_are_refused_unless_allowed(web, host) -> None:
    web.routes["/a"] = Route(b"secret")
    f = Fetcher(FetchPolicy(allow_private=False, connect_timeout=1))
    with pytest.raises(FetchError, match="non-public address.*allow_private_urls"):
        f.get(f"http://{host}:{web.port}/a")
    assert web.log == []  # refused before any connection


def test_a_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(FetchError, match="localhost resolves to 127.0.0.1"):
        check_address("http://localhost/", "localhost", 80, allow_private=False)
    assert check_address("http://localhost/", "localhost", 80, allow_private=True) in ("127.0.0.1", "::1")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_only_http_and_https(fetcher, url) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.get(url)


def test_every_redirect_hop_is_checked(web, fetcher) -> None:
    web.routes["/r"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="only http and https.*redirected to file:"):
        fetcher.get(web.url("/r"))


@pytest.mark.parametrize("target", ["127.0.0.1", "localhost", "[::1]"])
def test_a_public_page_redirecting_to_a_private_address_is_refused(web, monkeypatch, target) -> None:
    """The first hop stands for a public site: its name is resolved (by this stand-in for DNS) to
    the tests' server, the only host they may reach. The redirect it sends must still be refused
    at its own hop, by address and by a name that resolves to loopback."""
    import rag.web.fetch as fetch

    real = fetch.check_address
    monkeypatch.setattr(fetch, "check_address", lambda url, host, port, allow_private:
                        "127.0.0.1" if host == "news.example" else real(url, host, port, allow_private))
    web.routes["/story"] = Route(status=302, headers={"Location": f"http://{target}:{web.port}/admin"})
    web.routes["/admin"] = Route(b"secret")
    f = Fetcher(FetchPolicy(allow_private=False, connect_timeout=1, per_host_rps=1000))
    with pytest.raises(FetchError, match="non-public address"):
        f.get(f"http://news.example:{web.port}/story")
    assert [path for path, _ in web.log] == ["/story"]  # the private page was never requested
    f.close()


def test_redirects_are_followed_and_a_loop_is_an_error(web, fetcher) -> None:
    web.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    web.routes["/new"] = Route(b"moved here")
    r = fetcher.get(web.url("/old"))
    assert (r.body, r.url) == (b"moved here", web.url("/new"))
    web.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.get(web.url("/loop"))
    assert web.hits("/loop") == 6


@pytest.mark.parametrize("status", [404, 500])
def test_error_statuses_raise_with_the_status(web, fetcher, status) -> None:
    web.routes["/x"] = Route(b"no", status)
    with pytest.raises(FetchError, match=f"HTTP {status}") as caught:
        fetcher.get(web.url("/x"))
    assert caught.value.status == status and web.url("/x") in str(caught.value)


def test_a_slow_server_times_out(web, fetcher) -> None:
    web.routes["/slow"] = Route(b"late", delay=2.5)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetcher.get(web.url("/slow"))
    assert time.monotonic() - started < 2.4


def test_size_limits_count_declared_and_decompressed_bytes(web, fetcher) -> None:
    web.routes["/big"] = Route(b"x" * 200_000)
    with pytest.raises(FetchError, match="too large: 200000 bytes declared"):
        fetcher.get(web.url("/big"))
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB in about 50 KB
    assert len(bomb) < LOCAL.max_bytes
    web.routes["/bomb"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="decompressed body exceeds"):
        fetcher.get(web.url("/bomb"))
    web.routes["/gz"] = Route(gzip.compress(b"small and fine"), headers={"Content-Encoding": "gzip"})
    assert fetcher.get(web.url("/gz")).body == b"small and fine"


def test_retries_honour_retry_after_within_a_budget(web, fetcher) -> None:
    answers = iter([Route(b"busy", 503, {"Retry-After": "0"}), Route(b"ok")])
    web.routes["/busy"] = lambda handler: next(answers)
    assert fetcher.get(web.url("/busy")).body == b"ok"
    assert web.hits("/busy") == 2
    web.routes["/later"] = Route(b"come back tomorrow", 429, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="retry after 3600s"):
        fetcher.get(web.url("/later"))
    assert time.monotonic() - started < 1


def test_conditional_get_gets_304(web, fetcher) -> None:
    web.routes["/feed"] = Route(b"<rss/>", etag='"v1"', headers={"Last-Modified": "Wed, 02 Dec 2026 10:00:00 GMT"})
    first = fetcher.get(web.url("/feed"))
    assert first.etag == '"v1"' and first.last_modified
    again = fetcher.get(web.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body == b""
    assert web.log[1][1]["if-modified-since"] == first.last_modified


def test_robots_txt_is_honoured_for_pages_that_ask(web, fetcher) -> None:
    web.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n")
    web.routes["/private/a"] = Route(b"x")
    web.routes["/public/a"] = Route(b"y")
    assert fetcher.get(web.url("/public/a"), robots=True).body == b"y"
    with pytest.raises(FetchError, match="robots.txt"):
        fetcher.get(web.url("/private/a"), robots=True)
    assert web.hits("/private/a") == 0 and web.hits("/robots.txt") == 1


def test_requests_to_one_host_are_spaced(web) -> None:
    web.routes["/a"] = Route(b"a")
    f = Fetcher(FetchPolicy(allow_private=True, per_host_rps=10))
    started = time.monotonic()
    for _ in range(4):
        f.get(web.url("/a"))
    assert time.monotonic() - started >= 0.29  # three gaps of 0.1 s
    f.close()


def test_two_names_on_one_address_never_share_a_connection(web, fetcher) -> None:
    """Pooled by address, a connection made (and, over TLS, verified) for one name would carry
    the other name's requests; each origin has its own pool (found in review)."""
    peers = []

    def who(handler):
        peers.append((handler.headers["Host"].split(":")[0], handler.client_address[1]))
        return Route(b"ok")

    web.routes["/who"] = who
    for host in ("127.0.0.1", "localhost", "127.0.0.1", "localhost"):
        fetcher.get(web.url("/who", host=host))
    ports = {name: {port for n, port in peers if n == name} for name in ("127.0.0.1", "localhost")}
    assert len(peers) == 4 and not ports["127.0.0.1"] & ports["localhost"], peers


def test_a_new_origin_is_not_evicted_while_every_other_pool_is_busy(web, fetcher, monkeypatch) -> None:
    """With the pool cap reached and the only other pool in use, the eviction once picked the
    pool just made for the new origin and closed it before its first request."""
    import threading

    import rag.web.fetch as fetch

    monkeypatch.setattr(fetch, "MAX_POOLS", 1)
    started = threading.Event()

    def slow(handler):
        started.set()
        time.sleep(0.5)  # in flight while the other origin is fetched, and within the 1 s read timeout
        return Route(b"slow")

    web.routes["/slow"] = slow
    web.routes["/fast"] = Route(b"fast")
    busy = threading.Thread(target=lambda: fetcher.get(web.url("/slow", host="127.0.0.1")))
    busy.start()
    assert started.wait(5)
    assert fetcher.get(web.url("/fast", host="localhost")).body == b"fast"
    busy.join(5)


def test_the_deadline_covers_headers_sent_a_byte_at_a_time() -> None:
    """Each byte comes within the read timeout, so only the overall deadline can stop this."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    fetcher = Fetcher(FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=1, deadline=2,
                                  per_host_rps=1000, retries=0))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="too slow"):
            fetcher.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        assert time.monotonic() - started < 2 + 1.5  # the deadline, and at most one read timeout
    finally:
        stop.set()
        fetcher.close()
        listener.close()
