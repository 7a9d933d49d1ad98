"""The MCP door with the ``mcp`` SDK's own client: over streamable HTTP at /mcp of a served app
(fake models), and over stdio against ``newsrag mcp`` run as a subprocess (real embedder)."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from feed_samples import article_html
from fixture_server import Route
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.rag.api.conftest import FOUR_FIRMS, OUTSIDE, QUESTION

TOOLS = {"search_news", "ask_news", "brief_news", "news_timeline", "add_article_url", "list_feeds"}
ROOT = Path(__file__).resolve().parents[3]


def result(call) -> tuple[bool, object]:
    """(is it an error, its JSON or text)."""
    text = "".join(getattr(c, "text", "") for c in call.content)
    if call.is_error:
        return True, text
    structured = call.structured_content
    if structured is not None:
        return False, structured.get("result", structured) if set(structured) == {"result"} else structured
    return False, json.loads(text)


async def _drive_http(url: str, page: str) -> dict:
    out = {}
    async with Client(url + "/mcp") as client:
        out["tools"] = {t.name for t in (await client.list_tools()).tools}
        out["search"] = result(await client.call_tool("search_news", {"query": "chip R&D", "k": 2}))
        out["window"] = result(await client.call_tool("search_news", {"query": "chip R&D", "from_date": "2026-01-01"}))
        out["ask"] = result(await client.call_tool("ask_news", {"question": QUESTION}))
        out["outside"] = result(await client.call_tool("ask_news", {"question": OUTSIDE}))
        out["add"] = result(await client.call_tool("add_article_url", {"url": page}))
        out["feeds"] = result(await client.call_tool("list_feeds", {}))
        out["empty"] = result(await client.call_tool("ask_news", {"question": " "}))
        out["bad_date"] = result(await client.call_tool("search_news", {"query": "chips", "to_date": "soon"}))
        out["wrong_type"] = result(await client.call_tool("search_news", {"query": "chips", "k": "many"}))
    return out


def test_mcp_over_http_lists_and_calls_each_tool(seeded, serve_app, web) -> None:
    app = seeded(allow_private_urls=True)
    web.routes["/news/ferry"] = Route(article_html("Valletta approves ferry terminal", [
        "The harbour authority of Valletta approved a new ferry terminal on Tuesday.",
        "Construction starts in May and is expected to take two years."]),
        headers={"Content-Type": "text/html; charset=utf-8"})
    with serve_app(app) as url:
        out = asyncio.run(_drive_http(url, web.url("/news/ferry")))
    assert out["tools"] == TOOLS
    error, search = out["search"]
    assert not error and search["passages"][0]["doc_id"] == "seed"
    assert out["window"] == (False, {"query": "chip R&D", "passages": []})
    error, ask = out["ask"]
    assert not error and all(f in ask["answer"] for f in FOUR_FIRMS) and ask["citations"][0]["doc_id"] == "seed"
    assert out["outside"][1]["abstained"] is True
    error, added = out["add"]
    assert not error and added["documents"][0]["title"] == "Valletta approves ferry terminal"
    assert out["feeds"] == (False, [])
    for name, says in (("empty", "empty"), ("bad_date", "not a date"), ("wrong_type", "valid integer")):
        error, message = out[name]
        assert error and says in message, (name, message)


def test_mcp_over_http_refuses_a_private_url_by_default(seeded, serve_app) -> None:
    async def drive(url: str):
        async with Client(url + "/mcp") as client:
            return result(await client.call_tool("add_article_url", {"url": "http://10.1.2.3/x"}))

    app = seeded()
    with serve_app(app) as url:
        error, message = asyncio.run(drive(url))
    assert error and "10.1.2.3" in message and [d.id for d in app.store.documents()] == ["seed"]


@pytest.mark.integration  # the real embedder, in a subprocess
def test_newsrag_mcp_over_stdio(tmp_path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "rag.cli", "--data-dir", str(tmp_path / "data"), "mcp"], cwd=str(ROOT),
        env={"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
             "NEWSRAG_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"})

    async def drive():
        async with Client(params, read_timeout_seconds=300) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            search = result(await client.call_tool("search_news", {"query": "Which firms are pooling chip R&D?"}))
            outside = result(await client.call_tool("ask_news", {"question": OUTSIDE}))
            feeds = result(await client.call_tool("list_feeds", {}))
            private = result(await client.call_tool("add_article_url", {"url": "http://127.0.0.1:1/x"}))
            return tools, search, outside, feeds, private

    tools, search, outside, feeds, private = asyncio.run(drive())
    assert tools == TOOLS
    assert not search[0] and search[1]["passages"][0]["doc_id"] == "china-ai-alliances"
    assert outside[1]["abstained"] is True and feeds == (False, [])
    assert private[0] and "127.0.0.1" in private[1]
