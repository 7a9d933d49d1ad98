"""Retries wait by one schedule, whether a model server or a web page is asked again."""
from __future__ import annotations

import threading
import time

import pytest
from fixture_server import Route
from servers import free_port

from rag.errors import ModelError
from rag.remote.http import ServerClient
from rag.retry import attempts
from rag.web.fetch import FetchError, FetchPolicy, Fetcher


@pytest.fixture
def waits(monkeypatch):
    """The waits of this thread (servers' threads from other tests may sleep meanwhile)."""
    seen: list[float] = []
    me, real = threading.get_ident(), time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: seen.append(s) if threading.get_ident() == me else real(s))
    return seen


def test_attempts_wait_before_each_retry(waits):
    assert list(attempts(4)) == [0, 1, 2, 3, 4]
    assert waits == [0.5, 1.0, 2.0, 2.0]


def test_servers_and_pages_are_retried_by_one_schedule(waits, web):
    client = ServerClient(f"http://127.0.0.1:{free_port()}/v1", api_key="", connect_timeout=1, read_timeout=1,
                          retries=4)
    with pytest.raises(ModelError, match="not reachable after 5 attempts"):
        client.get_json("/models")
    server_waits = list(waits)
    waits.clear()

    web.routes["/busy"] = Route(b"busy", 503)
    fetcher = Fetcher(FetchPolicy(allow_private=True, retries=4, retry_budget=60, per_host_rps=1000))
    try:
        with pytest.raises(FetchError, match="HTTP 503"):
            fetcher.get(web.url("/busy"))
    finally:
        fetcher.close()
    assert waits == server_waits == [0.5, 1.0, 2.0, 2.0]
