"""One retry schedule for every request newsrag repeats: model servers, embeddings servers, web pages.

`backoff_s` is the wait after a failed attempt: 0.5 s, 1 s, then 2 s each time (short, since a
person is waiting; a server that is down stays down for longer than a retry can wait out).
`attempts` counts the attempts of one request and waits that long before each retry; the caller
returns on success and raises on the last attempt's failure. What counts as a failure worth
retrying is the caller's (rag.remote.http: nothing received yet; rag.web.fetch: HTTP 429/503,
whose Retry-After wins over the schedule). Not here: timeouts, error messages.
"""
from __future__ import annotations

import time
from typing import Iterator

BACKOFF_S = (0.5, 1.0, 2.0)


def backoff_s(attempt: int) -> float:
    """The wait after failed attempt ``attempt`` (0-based)."""
    return BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]


def attempts(retries: int) -> Iterator[int]:
    """0 .. ``retries``: the attempts of one request, with `backoff_s` waited before each retry."""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_s(attempt - 1))
        yield attempt
