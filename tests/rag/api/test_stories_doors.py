"""Stories through the doors: ``GET /api/stories``, ``/api/brief``, ``/api/timeline``, the MCP tools
``brief_news`` and ``news_timeline``, and a brief from the OpenAI door, each the same as the CLI's."""
from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import httpx
import openai
import pytest
from fakes import HashEmbedder
from mcp import Client
from story_samples import NOT_COVERED, OUTLETS, news

from rag.api.service import ApiError, Service
from rag.cli import main
from tests.rag.api.test_mcp_door import result

TODAY = date.today()


@pytest.fixture
def stories_app(make_app):
    app = make_app(NOT_COVERED)  # the model would decline: briefs and timelines need none
    app.ingestor.add_documents(news(TODAY))
    return app


@pytest.fixture
def rest(stories_app, serve_app):
    with serve_app(stories_app) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client, stories_app, url


def cli_json(settings, monkeypatch, capsys, *args: str):
    monkeypatch.setattr("rag.wiring.make_embedder", lambda s: HashEmbedder())
    assert main(["--data-dir", str(settings.data_dir), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_api_brief_is_the_json_of_newsrag_brief(rest, settings, monkeypatch, capsys) -> None:
    client, _, _ = rest
    body = client.get("/api/brief", params={"since": "7d", "max_words": 100}).json()
    assert body == cli_json(settings, monkeypatch, capsys, "brief", "--since", "7d", "--max-words", "100")
    ferry, library = body["stories"]
    assert ferry["outlet_count"] == 3 and library["outlet_count"] == 1
    assert ferry["sentences"][0]["citations"] == [1, 2, 3]
    assert {c["outlet"] for c in body["citations"][:3]} == {site for site, _ in OUTLETS}


def test_api_brief_of_a_topic_and_of_from_to(rest) -> None:
    client, _, _ = rest
    topic = client.get("/api/brief", params={"topic": "Port Alder ferry aground"}).json()
    # four articles: retrieval's 30 passages find them all; rag/stories' tests check the narrowing
    assert topic["topic"] == "Port Alder ferry aground" and topic["stories"][0]["headline_doc"].startswith("ferry")
    old = (TODAY - timedelta(days=30)).isoformat()
    empty = client.get("/api/brief", params={"from": old, "to": old}).json()
    assert empty["stories"] == [] and empty["window"] == {
        "first_day": old, "day_after": (TODAY - timedelta(days=29)).isoformat()}


def test_api_stories_lists_each_story_with_its_summary_and_citations_as_the_cli(rest, settings, monkeypatch,
                                                                              capsys) -> None:
    client, _, _ = rest
    listed = client.get("/api/stories").json()
    assert listed == cli_json(settings, monkeypatch, capsys, "stories", "list")
    ferry = listed[0]
    assert (ferry["outlet_count"], ferry["article_count"]) == (3, 3)
    assert ferry["first_day"] == (TODAY - timedelta(days=2)).isoformat() and ferry["last_day"] == TODAY.isoformat()
    assert ferry["summary"] and ferry["sentences"][0]["citations"]
    assert [c["number"] for c in ferry["citations"]] == [1, 2, 3]
    assert client.get("/api/stories", params={"limit": 1}).json() == listed[:1]


def test_api_timeline_of_a_story_id_and_of_a_topic_as_the_cli(rest, settings, monkeypatch, capsys) -> None:
    client, _, _ = rest
    story_id = client.get("/api/stories").json()[0]["id"]
    by_id = client.get("/api/timeline", params={"story": story_id}).json()
    assert by_id == cli_json(settings, monkeypatch, capsys, "timeline", story_id)
    days = [e["day"] for e in by_id["entries"]]
    assert days == sorted(days) and len(days) == 3 and {e["story_id"] for e in by_id["entries"]} == {story_id}
    by_topic = client.get("/api/timeline", params={"topic": "Port Alder cargo ferry"}).json()
    assert {e["doc_id"] for e in by_topic["entries"]} >= {"ferry-0", "ferry-1", "ferry-2"}


@pytest.mark.parametrize(("path", "params", "status", "param", "says"), [
    ("/api/brief", {"since": "fortnight"}, 400, "since", "'fortnight'"),
    ("/api/brief", {"since": "1e9d"}, 400, "since", "'1e9d'"),
    ("/api/brief", {"from": "2026-13-01"}, 422, "from", "date"),
    ("/api/brief", {"from": "2025-03-02", "to": "2025-03-01"}, 400, "from", "2025-03-02"),
    ("/api/brief", {"max_words": 5}, 422, "max_words", "10"),
    ("/api/brief", {"topic": "x" * 5000}, 400, "topic", "characters"),
    ("/api/stories", {"since": "soon"}, 400, "since", "'soon'"),
    ("/api/stories", {"limit": 0}, 422, "limit", "1"),
    ("/api/timeline", {}, 400, "topic", "either"),
    ("/api/timeline", {"story": "no-such-story"}, 404, "story", "no-such-story"),
])
def test_bad_story_requests_are_json_errors_naming_the_value(rest, path, params, status, param, says) -> None:
    client, _, _ = rest
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and says in error["message"], error


def test_the_story_routes_are_in_the_openapi_docs(rest) -> None:
    client, _, _ = rest
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/stories", "/api/brief", "/api/timeline"} <= set(paths)
    assert {p["name"] for p in paths["/api/brief"]["get"]["parameters"]} == {"since", "from", "to", "topic",
                                                                            "max_words"}


def test_service_refuses_a_negative_since_and_a_one_day_window_keeps_todays_articles(stories_app) -> None:
    service = Service(stories_app)
    with pytest.raises(ApiError) as refused:
        service.brief(since="-3d")
    assert refused.value.status == 400 and "'-3d'" in refused.value.message
    assert [len(s.articles) for s in service.stories("1d")] == [1, 1]  # today's: ferry-0 and the library


def test_what_happened_this_week_through_the_openai_door_is_a_cited_brief(rest) -> None:
    _, _, url = rest
    oai = openai.OpenAI(base_url=url + "/v1", api_key="unused-on-loopback", max_retries=0)
    reply = oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": "What happened this week?"}])
    message = reply.choices[0].message
    assert "reported by 3 outlets" in message.content and "[1][2][3]" in message.content
    assert "Sources:" in message.content and message.model_extra["newsrag"]["abstained"] is False
    assert {n.url_citation.url for n in message.annotations} >= {"https://o0.example/ferry", "https://o1.example/ferry",
                                                                 "https://o2.example/ferry"}


async def _drive(url: str) -> dict:
    out = {}
    async with Client(url + "/mcp") as client:
        out["tools"] = {t.name for t in (await client.list_tools()).tools}
        out["brief"] = result(await client.call_tool("brief_news", {}))
        out["topic"] = result(await client.call_tool("brief_news", {"since": "3d", "topic": "Port Alder ferry",
                                                                    "max_words": 50}))
        story_id = out["brief"][1]["stories"][0]["id"]
        out["timeline"] = result(await client.call_tool("news_timeline", {"story_id": story_id}))
        out["by_topic"] = result(await client.call_tool("news_timeline", {"topic": "Port Alder cargo ferry"}))
        out["ask"] = result(await client.call_tool("ask_news", {"question": "What happened this week?"}))
        out["bad_since"] = result(await client.call_tool("brief_news", {"since": "lately"}))
        out["bad_date"] = result(await client.call_tool("brief_news", {"from_date": "monday"}))
        out["neither"] = result(await client.call_tool("news_timeline", {}))
    return out


def test_mcp_brief_news_and_news_timeline_over_http(rest) -> None:
    _, app, url = rest
    out = asyncio.run(_drive(url))
    assert {"brief_news", "news_timeline"} <= out["tools"]
    error, brief = out["brief"]
    assert not error and brief["stories"][0]["outlet_count"] == 3 and brief["citations"][0]["doc_id"].startswith("ferry")
    error, topic = out["topic"]
    assert not error and topic["topic"] == "Port Alder ferry" and topic["stories"][0]["outlet_count"] == 3
    error, timeline = out["timeline"]
    assert not error and [e["doc_id"] for e in timeline["entries"]] == ["ferry-2", "ferry-1", "ferry-0"]
    assert not out["by_topic"][0] and len(out["by_topic"][1]["entries"]) >= 3
    error, asked = out["ask"]
    assert not error and asked["form"] == "brief" and "reported by 3 outlets" in asked["answer"]
    for name, says in (("bad_since", "'lately'"), ("bad_date", "'monday'"), ("neither", "either")):
        error, message = out[name]
        assert error and says in message, (name, message)
