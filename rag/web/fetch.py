"""Fetch one web resource safely: the only way newsrag reaches the network.

Every request goes through `Fetcher.get`, which enforces, per hop of a redirect chain:
- http and https only; the host is resolved and every address it resolves to must be public
  (rag.web.address: no loopback, private, link-local, multicast, reserved or unspecified address,
  nor an IPv6 form carrying one) unless the user allows private URLs; the connection then goes to the address that was checked (the Host header
  and TLS SNI/certificate name stay the original host), so a DNS answer that changes between the
  check and the connection (rebinding) cannot redirect it;
- connect and read timeouts and an overall deadline per response, headers included (a watchdog
  closes the connection of a server that trickles its headers); a byte limit counted on the
  body as received and again on the decompressed bytes (gzip and deflate are decoded here, in
  bounded steps, so a small "zip bomb" never expands past the limit in memory);
- at most ``max_redirects`` redirects, a User-Agent naming newsrag and its version, at most
  ``per_host_rps`` requests a second to each host, and up to ``retries`` retries on 429/503 that
  honour Retry-After within a total time budget;
- conditional requests (If-None-Match / If-Modified-Since) when the caller has validators;
- robots.txt when the caller asks for it, as for article pages (rag.web.robots: RFC 9309 rules,
  kept for a bounded time; robots.txt itself is fetched by this same path, redirects included).

The client is httpx (already a dependency of Gradio, maintained, with streaming, per-phase
timeouts and the ``sni_hostname`` extension that lets us connect to a checked address while
verifying the certificate for the real host); urllib would need a hand-made connection class
for the same. Each origin (scheme, host, port) has its own connection pool: pooled by the
address alone, a TLS connection verified for one name would carry requests for another name on
the same address. Proxies from the environment are ignored (trust_env=False). Not here: parsing
what is fetched (rag.web.article, rag.feeds).
"""
from __future__ import annotations

import email.utils
import threading
import time
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

from rag.web.address import check_address
from rag.web.errors import FetchError
from rag.web.robots import RobotsCache

__all__ = ["FetchError", "FetchPolicy", "Fetcher", "Response", "check_address", "user_agent"]
from rag.retry import backoff_s

RETRY_STATUSES = (429, 503)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_POOLS = 32  # origins with open connections at once


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # seconds for one response, headers and body, retries excluded
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host_rps: float = 2.0
    retries: int = 2
    retry_budget: float = 20.0  # seconds of Retry-After and backoff waits, in all, per get()


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def user_agent() -> str:
    try:
        version = metadata.version("newsrag")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"newsrag/{version} (+local news question answering)"


class Fetcher:
    """Safe GETs with a shared connection pool; safe to use from several threads.

    ``clock`` times the robots.txt cache (injected by tests; request pacing uses the real time)."""

    def __init__(self, policy: FetchPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.requests = 0  # requests sent, retries and redirects included (for benchmarks)
        self._clients: dict[tuple[str, str, int], Any] = {}  # one pool per origin, see the docstring
        self._users: dict[int, int] = {}  # id(client) -> requests using it now
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots = RobotsCache(self._robots_txt, clock=clock)

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            robots: bool = False, accept: str = "*/*") -> Response:
        """GET ``url``; raise `FetchError` for refusals, network errors and any status >= 400."""
        headers = {"user-agent": user_agent(), "accept": accept, "accept-encoding": "gzip, deflate"}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        return self._follow(url, headers, robots, self.policy.max_bytes, truncate=False)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _robots_txt(self, url: str, max_bytes: int) -> bytes:
        """robots.txt at ``url``, redirects followed, cut at ``max_bytes`` (RFC 9309 parses a prefix)."""
        headers = {"user-agent": user_agent(), "accept": "text/plain", "accept-encoding": "gzip, deflate"}
        return self._follow(url, headers, False, max_bytes, truncate=True).body

    def _follow(self, url: str, headers: dict[str, str], robots: bool, limit: int, truncate: bool) -> Response:
        """The response at the end of ``url``'s redirects, each hop checked (and its robots.txt)."""
        current = url
        for _ in range(self.policy.max_redirects + 1):
            if robots:
                self._robots.check(url, current)
            response = self._with_retries(url, current, headers, limit, truncate)
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(url, f"HTTP {response.status} redirect without a Location", response.status)
                import httpx

                current = str(httpx.URL(current).join(location))
                continue
            if response.status >= 400:
                raise FetchError(url, f"HTTP {response.status}" + (f" (from {current})" if current != url else ""),
                                 response.status)
            return response
        raise FetchError(url, f"more than {self.policy.max_redirects} redirects (a redirect loop?)")

    # -- one request ------------------------------------------------------------------------

    def _with_retries(self, original: str, url: str, headers: dict[str, str], limit: int,
                      truncate: bool) -> Response:
        budget = self.policy.retry_budget
        for attempt in range(self.policy.retries + 1):
            response = self._once(original, url, headers, limit, truncate)
            if response.status not in RETRY_STATUSES or attempt == self.policy.retries:
                return response
            wait = _retry_after(response.headers.get("retry-after"))
            wait = backoff_s(attempt) if wait is None else wait
            if wait > budget:
                raise FetchError(original, f"HTTP {response.status}; the server asks to retry after "
                                           f"{wait:.0f}s, beyond the {self.policy.retry_budget:.0f}s allowed",
                                 response.status)
            budget -= wait
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, original: str, url: str, headers: dict[str, str], limit: int, truncate: bool) -> Response:
        import httpx

        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(original, f"not a valid URL: {exc}") from None
        if target.scheme not in ("http", "https"):
            raise FetchError(original, f"only http and https URLs can be fetched, not {target.scheme or 'none'!r}"
                             + (f" (redirected to {url})" if url != original else ""))
        if not target.host:
            raise FetchError(original, "the URL has no host")
        port = target.port or (443 if target.scheme == "https" else 80)
        address = check_address(original, target.host, port, self.policy.allow_private)
        pinned = target.copy_with(host=address)
        host_header = target.host if target.port is None else f"{target.host}:{target.port}"
        if ":" in target.host and not host_header.startswith("["):
            host_header = f"[{target.host}]" if target.port is None else f"[{target.host}]:{target.port}"
        self._wait_turn(target.host)
        origin = (target.scheme, target.host, port)
        client = self._http(origin)
        request = client.build_request("GET", pinned, headers={**headers, "host": host_header})
        if target.scheme == "https":
            request.extensions["sni_hostname"] = target.host
        started = time.monotonic()
        with self._lock:
            self.requests += 1
        # httpx's timeouts are per socket operation, so headers sent a byte at a time would never
        # time out; past the deadline the watchdog closes this origin's pool, which ends the read.
        expired = threading.Event()
        watchdog = threading.Timer(self.policy.deadline, self._expire, (origin, client, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            reply = client.send(request, stream=True, follow_redirects=False)
            try:
                body = b"" if reply.status_code in REDIRECT_STATUSES or reply.status_code == 304 \
                    else self._read(original, reply, started, limit, truncate)
            finally:
                reply.close()
        except (httpx.HTTPError, OSError, RuntimeError) as exc:
            if expired.is_set():
                raise FetchError(original, f"too slow: no complete response within {self.policy.deadline:.0f}s") \
                    from None
            if isinstance(exc, httpx.TimeoutException):
                raise FetchError(original, f"timed out ({type(exc).__name__})") from None
            if isinstance(exc, httpx.HTTPError):
                raise FetchError(original, f"request failed: {type(exc).__name__}: {exc}") from None
            raise
        finally:
            watchdog.cancel()
            self._release(client)
        if expired.is_set():
            raise FetchError(original, f"too slow: no complete response within {self.policy.deadline:.0f}s")
        return Response(url, reply.status_code, body, {k.lower(): v for k, v in reply.headers.items()})

    def _expire(self, origin: tuple[str, str, int], client: Any, expired: threading.Event) -> None:
        expired.set()
        with self._lock:
            if self._clients.get(origin) is client:
                del self._clients[origin]
        client.close()  # any other request to this origin in flight fails with it

    def _read(self, original: str, reply: Any, started: float, limit: int, truncate: bool) -> bytes:
        """The body, at most ``limit`` bytes received and decoded: past it an error, or with
        ``truncate`` the first ``limit`` bytes (the rest is never read)."""
        declared = reply.headers.get("content-length")
        if not truncate and declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(original, f"too large: {int(declared)} bytes declared, the limit is {limit}")
        decoder = _decoder(original, reply.headers.get("content-encoding", ""))
        out = bytearray()
        received = 0
        for raw in reply.iter_raw():
            received += len(raw)
            if received > limit and not truncate:
                raise FetchError(original, f"too large: more than {limit} bytes")
            if time.monotonic() - started > self.policy.deadline:
                raise FetchError(original, f"too slow: no complete response within {self.policy.deadline:.0f}s")
            out += decoder(raw, limit - len(out))
            if len(out) > limit or received > limit:
                break
        else:
            out += decoder(b"", limit - len(out))
        if len(out) > limit:
            if not truncate:
                raise FetchError(original, "too large: the decompressed body exceeds the size limit")
            del out[limit:]
        return bytes(out)

    def _http(self, origin: tuple[str, str, int]) -> Any:
        """This origin's client, counted as in use until `_release`."""
        with self._lock:
            client = self._clients.get(origin)
            if client is None:
                import httpx

                p = self.policy
                client = self._clients[origin] = httpx.Client(
                    timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout), trust_env=False,
                    follow_redirects=False, limits=httpx.Limits(max_connections=4, max_keepalive_connections=2))
                # A sync visits many sites once: the oldest idle pools go (dicts keep insertion order).
                idle = [o for o, c in self._clients.items() if o != origin and not self._users.get(id(c))]
                for stale in idle[: max(0, len(self._clients) - MAX_POOLS)]:
                    self._clients.pop(stale).close()
            self._users[id(client)] = self._users.get(id(client), 0) + 1
            return client

    def _release(self, client: Any) -> None:
        with self._lock:
            left = self._users.pop(id(client), 1) - 1
            if left:
                self._users[id(client)] = left
            elif all(c is not client for c in self._clients.values()):
                client.close()  # dropped while in use

    def _wait_turn(self, host: str) -> None:
        gap = 1.0 / self.policy.per_host_rps if self.policy.per_host_rps > 0 else 0.0
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + gap
        if slot > now:
            time.sleep(slot - now)


def _decoder(url: str, encoding: str):
    """A function (chunk, room) -> the chunk decoded, at most ``room`` + 1 bytes of it (one past
    the room tells the caller the body is too large; a "zip bomb" never expands further)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda chunk, room: chunk[: max(0, room) + 1]
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
    # 47 = gzip or zlib header auto-detected; raw deflate (-15) is tried when "deflate" has no header.
    state = {"z": zlib.decompressobj(47 if encoding != "deflate" else 15), "started": False}

    def decode(chunk: bytes, room: int) -> bytes:
        z = state["z"]
        try:
            if encoding == "deflate" and not state["started"] and chunk:
                state["started"] = True
                try:
                    return _bounded(z, chunk, room)
                except zlib.error:
                    state["z"] = z = zlib.decompressobj(-15)
            return _bounded(z, chunk, room) if chunk else z.flush()[: max(0, room) + 1]
        except zlib.error as exc:
            raise FetchError(url, f"corrupt {encoding} body: {exc}") from None
    return decode


def _bounded(z: Any, chunk: bytes, room: int) -> bytes:
    out = bytearray()
    data = chunk
    while data and len(out) <= room:
        out += z.decompress(data, max(0, room - len(out)) + 1)
        data = z.unconsumed_tail
    return bytes(out)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
