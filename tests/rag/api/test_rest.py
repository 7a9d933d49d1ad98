"""The REST door under /api, and the rules every door keeps (limits, keys, JSON errors, a burst)."""
from __future__ import annotations

import concurrent.futures
import statistics
import subprocess
import sys
import time

import httpx
import pytest
from feed_samples import article_html
from fixture_server import Route

from rag.api.app import check_exposure, create_api
from rag.errors import ConfigError
from tests.rag.api.conftest import FOUR_FIRMS, QUESTION
from tests.rag.api.served import serving

FERRY = ["The harbour authority of Valletta approved a new ferry terminal on Tuesday, "
         "the first expansion of the port in thirty years.",
         "Construction starts in May and is expected to take two years, the authority said, "
         "with a budget of 40 million euros."]
FERRY_Q = "What did the harbour authority of Valletta approve?"
FERRY_REPLY = "The harbour authority of Valletta approved a new ferry terminal [1]."


@pytest.fixture
def rest(seeded, serve_app):
    app = seeded(FERRY_REPLY, allow_private_urls=True)
    with serve_app(app) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client, app


def ids(app) -> list[str]:
    return sorted(d.id for d in app.store.documents())


def test_health_and_docs(rest) -> None:
    client, _ = rest
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/documents", "/v1/chat/completions"} <= set(paths)


def test_ask_gives_the_json_of_newsrag_ask(seeded, serve_app) -> None:
    app = seeded()
    with serve_app(app) as url:
        body = httpx.post(url + "/api/ask", json={"question": QUESTION, "top_k": 3, "mode": "hybrid",
                                                  "as_of": "2025-06-01"}, timeout=30).json()
    assert all(firm in body["answer"] for firm in FOUR_FIRMS) and body["abstained"] is False
    assert body["citations"][0]["doc_id"] == "seed" and {"retrieved", "timings", "sentences"} <= set(body)


def test_upload_url_search_ask_remove_then_not_covered(rest, web, tmp_path) -> None:
    client, app = rest
    upload = client.post("/api/documents", files={"file": ("ferry notes.md", "---\ntitle: Ferry notes\nid: ferry-notes\n---\n"
                                                            + " ".join(FERRY) + "\n", "text/markdown")})
    assert upload.status_code == 201, upload.text
    assert upload.json()["added"] == ["ferry-notes"]
    web.routes["/news/ferry"] = Route(article_html("Valletta approves ferry terminal", FERRY),
                                      headers={"Content-Type": "text/html; charset=utf-8"})
    by_url = client.post("/api/documents/url", json={"url": web.url("/news/ferry")})
    assert by_url.status_code == 201, by_url.text
    page_id = by_url.json()["added"][0]
    assert {"ferry-notes", page_id, "seed"} <= {d["id"] for d in client.get("/api/documents").json()}

    found = client.get("/api/search", params={"q": "Valletta ferry terminal", "k": 3}).json()["passages"]
    assert found[0]["doc_id"] in ("ferry-notes", page_id)
    dated = client.get("/api/search", params={"q": "Valletta ferry terminal", "from": "2025-01-01"}).json()
    assert all(p["published"] >= "2025-01-01" for p in dated["passages"])
    answer = client.post("/api/ask", json={"question": FERRY_Q}).json()
    assert answer["abstained"] is False and answer["citations"][0]["doc_id"] in ("ferry-notes", page_id)

    for doc_id in ("ferry-notes", page_id):
        assert client.delete(f"/api/documents/{doc_id}").json() == {"removed": doc_id, "documents": 0}
    assert ids(app) == ["seed"]
    after = client.post("/api/ask", json={"question": FERRY_Q}).json()
    assert after["abstained"] is True and after["citations"] == []


def test_feeds_list_add_sync_remove(rest, web) -> None:
    from feed_samples import Item, rss

    client, app = rest
    item = Item("ferry-1", "Ferry terminal approved", web.url("/news/ferry"), "2024-03-12", content=" ".join(FERRY))
    web.routes["/feed.xml"] = Route(rss("The Harbour Post", [item]),
                                    headers={"Content-Type": "application/rss+xml"})
    web.routes["/news/ferry"] = Route(article_html("Valletta approves ferry terminal", FERRY),
                                      headers={"Content-Type": "text/html; charset=utf-8"})
    added = client.post("/api/feeds", json={"url": web.url("/feed.xml"), "every": "2h"})
    assert added.status_code == 201, added.text
    assert added.json()[0]["new"] == 1
    (feed,) = client.get("/api/feeds").json()
    assert feed["url"] == web.url("/feed.xml") and feed["interval_s"] == 7200 and feed["items"] == 1
    assert client.post("/api/feeds/sync").json()[0]["new"] == 0  # nothing new since
    assert client.request("DELETE", "/api/feeds", params={"url": web.url("/feed.xml")}).json()["documents"] == 1
    assert client.get("/api/feeds").json() == [] and ids(app) == ["seed"]


BAD = [
    ("post", "/api/ask", dict(content=b'{"question": ', headers={"Content-Type": "application/json"}), 400, "not valid JSON"),
    ("post", "/api/ask", dict(json={"question": ["x"]}), 422, "question"),
    ("post", "/api/ask", dict(json={"question": QUESTION, "top_k": "many"}), 422, "top_k"),
    ("post", "/api/ask", dict(json={"question": QUESTION, "as_of": "yesterday"}), 422, "as_of"),
    ("post", "/api/ask", dict(json={"question": "  "}), 400, "empty"),
    ("post", "/api/ask", dict(json={"question": "x" * 1001}), 400, "over the limit"),
    ("post", "/api/ask", dict(json={"question": QUESTION, "surprise": 1}), 422, "surprise"),
    ("post", "/api/ask", dict(content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}), 413, "over the limit"),
    ("post", "/v1/chat/completions", dict(content=b"[", headers={"Content-Type": "application/json"}), 400, "not valid JSON"),
    ("get", "/api/search", dict(params={"q": "chips", "k": 0}), 422, "k"),
    ("get", "/api/search", dict(params={"q": "chips", "from": "2025-02-01", "to": "2025-01-01"}), 400, "after"),
    ("delete", "/api/documents/no-such-doc", {}, 404, "no document with id 'no-such-doc'"),
    ("post", "/api/documents/url", dict(json={"url": "http://10.0.0.1/news"}), 400, "10.0.0.1"),
    ("post", "/api/documents/url", dict(json={"url": "file:///etc/passwd"}), 400, "not an http(s) URL"),
    ("post", "/api/documents", dict(files={"file": ("evil.exe", b"MZ", "application/octet-stream")}), 400, "unsupported file type"),
    ("post", "/api/feeds", dict(json={"url": "ftp://example.org/feed"}), 400, "ftp"),
    ("delete", "/api/feeds", dict(params={"url": "http://example.org/none"}), 404, "not a feed"),
]


@pytest.mark.parametrize("method, path, options, status, says", BAD, ids=[f"{b[1]}-{b[3]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_a_clear_4xx_and_changes_nothing(seeded, serve_app, method, path, options, status, says) -> None:
    app = seeded()  # private URLs refused, as by default
    with serve_app(app) as url:
        before = ids(app), app.feeds.all()
        response = getattr(httpx, method)(url + path, timeout=30, **options)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert says in error["message"] and "Traceback" not in response.text
        assert (ids(app), app.feeds.all()) == before


def test_a_public_host_needs_a_key_and_a_login(settings) -> None:
    with pytest.raises(ConfigError, match="serve_api_key.*auth"):
        check_exposure(settings.replace(host="0.0.0.0"))
    check_exposure(settings.replace(host="0.0.0.0", serve_api_key="k" * 24, auth="me:secret"))
    check_exposure(settings.replace(host="0.0.0.0", allow_public_host=True))


def test_with_a_key_every_door_wants_it(seeded, serve_app) -> None:
    app = seeded(serve_api_key="s3cret-key-for-tests")
    with serve_app(app) as url:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-key-for-tests"}):
            for method, path in (("post", "/v1/chat/completions"), ("post", "/api/ask"), ("get", "/api/documents"),
                                 ("delete", "/api/documents/seed"), ("post", "/mcp"), ("get", "/v1/models")):
                kwargs = {"json": {"question": QUESTION}} if method == "post" else {}
                r = httpx.request(method.upper(), url + path, headers=headers, timeout=30, **kwargs)
                assert r.status_code == 401, (path, headers, r.text)
                assert "API key" in r.json()["error"]["message"]
        assert ids(app) == ["seed"]
        good = {"Authorization": "Bearer s3cret-key-for-tests"}
        assert httpx.post(url + "/api/ask", json={"question": QUESTION}, headers=good, timeout=30).status_code == 200
        assert httpx.get(url + "/api/health", timeout=30).status_code == 200


def test_the_model_servers_key_is_not_the_apis_key(seeded, serve_app, settings) -> None:
    # api_key goes to model servers; a caller holding it must not get in, and setting it alone
    # must not make a loopback API ask callers for the provider's key.
    with pytest.raises(ConfigError, match="serve_api_key"):
        check_exposure(settings.replace(host="0.0.0.0", api_key="k" * 24, auth="me:secret"))
    with serve_app(seeded(api_key="provider-key-for-tests")) as url:
        assert httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=30).status_code == 200
    with serve_app(seeded(api_key="provider-key-for-tests", serve_api_key="s3cret-key-for-tests")) as url:
        provider = {"Authorization": "Bearer provider-key-for-tests"}
        assert httpx.post(url + "/api/ask", json={"question": QUESTION}, headers=provider, timeout=30).status_code == 401


def test_a_foreign_host_header_is_refused(seeded, serve_app) -> None:
    with serve_app(seeded()) as url:
        r = httpx.get(url + "/api/documents", headers={"Host": "attacker.example"}, timeout=30)
    assert r.status_code == 403


def test_sixteen_calls_at_once_with_the_chat_page_asking_too_are_all_answered(seeded, serve_app) -> None:
    from tests.ui.served import run_event
    from tests.ui.test_ui_hosts import fn_index

    app = seeded()
    generator = app.pipeline.generator
    plain = generator.stream

    def slow(messages):  # a little time per token, so the calls overlap
        for piece in plain(messages):
            time.sleep(0.01)
            yield piece

    generator.stream = slow
    kept: list = []
    with serve_app(app, keep=kept) as url:
        ask = fn_index(kept[0].state.demo, "nr-ask", "click")

        def one(i: int) -> float:
            started = time.perf_counter()
            if i >= 16:  # the chat page, through Gradio's queue
                with httpx.Client(base_url=url + "/", timeout=120) as page:
                    output = run_event(page, ask, [QUESTION, None, 4, None])
                assert "Tencent" in str(output)
            elif i % 2:
                r = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=120)
                assert r.status_code == 200 and "Tencent" in r.json()["answer"]
            else:
                r = httpx.post(url + "/v1/chat/completions", timeout=120, json={
                    "model": "newsrag", "messages": [{"role": "user", "content": QUESTION}]})
                assert r.status_code == 200 and "Tencent" in r.json()["choices"][0]["message"]["content"]
            return time.perf_counter() - started

        with concurrent.futures.ThreadPoolExecutor(18) as pool:
            seconds = list(pool.map(one, range(18)))
    assert len(seconds) == 18 and len(generator.seen) == 18
    api = sorted(seconds[:16])
    p95 = api[int(0.95 * (len(api) - 1))]
    print(f"16 API calls at once, 2 chat questions beside them: API median {statistics.median(api):.2f}s, "
          f"p95 {p95:.2f}s, max {api[-1]:.2f}s; chat {max(seconds[16:]):.2f}s")


def test_the_api_alone_imports_neither_gradio_nor_ui(seeded) -> None:
    """rag.api builds without the chat (imports point ui -> rag), and serves on its own."""
    code = ("import sys, rag.api.app, rag.api.cli; "
            "assert not [m for m in sys.modules if m == 'gradio' or m == 'ui' or m.startswith('ui.')]")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    app = seeded()
    with serving(create_api(app, app.settings)) as url:
        assert httpx.get(url + "/v1/models", timeout=30).json()["data"][0]["id"] == "newsrag"
