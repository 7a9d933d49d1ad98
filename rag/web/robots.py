"""robots.txt for the fetcher, read as RFC 9309 says: which URLs of a site newsrag may fetch.

`RobotsCache.check` raises `FetchError` for a URL the site's robots.txt keeps newsrag (user agent
``newsrag``) away from. Per origin (scheme, host, port), what the download of ``/robots.txt``
gives decides, and is kept for a bounded time:

- 2xx: its rules (urllib.robotparser), the first ``max_bytes`` (512 KiB; the RFC asks for at
  least 500 KiB) parsed, the rest ignored; kept ``good_for`` (24 h, the RFC's cache limit);
- 4xx other than 429 ("unavailable"): no rules, everything allowed; kept 24 h too;
- 429, 5xx, or no answer at all (connection dropped or refused, timeout, a redirect loop or a
  redirect to an address the fetcher refuses): "unreachable", everything disallowed, asked
  again after ``retry_after`` (5 minutes). The RFC lets a crawler fall back to allow-all or an
  old copy after 30 days unreachable; newsrag keeps disallowing, which a process living that
  long would also accept.

The download is the caller's: the fetcher's own path, which follows redirects (each hop's
address checked) and caps the size. The clock is injected so tests need not sleep. At most
``max_sites`` origins are remembered (oldest dropped first): a sync visits many sites once.
Not here: fetching (rag.web.fetch), the address rules (rag.web.address).
"""
from __future__ import annotations

import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from typing import Callable, Protocol

from rag.web.errors import FetchError

AGENT = "newsrag"
MAX_BYTES = 512 * 1024
GOOD_FOR = 24 * 3600.0
RETRY_AFTER = 300.0
MAX_SITES = 1024


class Download(Protocol):
    def __call__(self, url: str, max_bytes: int) -> bytes:
        """The body at ``url`` after redirects, cut at ``max_bytes``; `FetchError` for a status
        of 400 or more (with ``status``) or no answer (``status`` None)."""


@dataclass(frozen=True)
class Rules:
    parser: urllib.robotparser.RobotFileParser | None  # None: no rules, all allowed
    unreachable: str | None  # why robots.txt could not be read: all disallowed
    expires: float  # clock time after which robots.txt is asked again


class RobotsCache:
    """robots.txt rules per origin, each kept for a bounded time; safe to use from several threads."""

    def __init__(self, download: Download, *, clock: Callable[[], float] = time.monotonic,
                 good_for: float = GOOD_FOR, retry_after: float = RETRY_AFTER, max_bytes: int = MAX_BYTES,
                 max_sites: int = MAX_SITES) -> None:
        self.download = download
        self.clock = clock
        self.good_for = good_for
        self.retry_after = retry_after
        self.max_bytes = max_bytes
        self.max_sites = max_sites
        self._rules: dict[str, Rules] = {}
        self._lock = threading.Lock()

    def check(self, original: str, url: str) -> None:
        """Raise `FetchError` naming ``original`` if robots.txt keeps newsrag from ``url``."""
        import httpx

        target = httpx.URL(url)
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        rules = self._for(origin)
        if rules.unreachable is not None:
            raise FetchError(original, f"refused: {origin}/robots.txt could not be read ({rules.unreachable}); "
                                       f"RFC 9309 takes that as disallow all, asked again after "
                                       f"{self.retry_after / 60:.0f} min")
        if rules.parser is not None and not rules.parser.can_fetch(AGENT, url):
            raise FetchError(original, f"refused by {origin}/robots.txt")

    def _for(self, origin: str) -> Rules:
        with self._lock:
            rules = self._rules.get(origin)
        if rules is not None and self.clock() < rules.expires:
            return rules
        # Two threads may both ask for one site's robots.txt at once; that costs a request, not safety.
        rules = self._read(origin + "/robots.txt")
        with self._lock:
            self._rules.pop(origin, None)
            self._rules[origin] = rules  # at the end: the oldest entries are dropped first
            while len(self._rules) > self.max_sites:
                del self._rules[next(iter(self._rules))]
        return rules

    def _read(self, url: str) -> Rules:
        try:
            body = self.download(url, self.max_bytes)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return Rules(None, None, self.clock() + self.good_for)  # RFC 9309 2.3.1.3: unavailable
            return Rules(None, exc.problem, self.clock() + self.retry_after)  # 2.3.1.4: unreachable
        if len(body) >= self.max_bytes:
            body = body[: body.rfind(b"\n") + 1]  # cut: a half line could read as a wider Allow
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return Rules(parser, None, self.clock() + self.good_for)
