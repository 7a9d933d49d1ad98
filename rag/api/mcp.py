"""The MCP door: newsrag's tools for assistants and IDEs, with the official ``mcp`` SDK (MCPServer).

Tools: ``search_news`` (cited passages, optionally within a date window), ``ask_news`` (a cited
answer, or a plain "not covered"), ``brief_news`` (the stories of a window, most important first,
each cited: the JSON of ``newsrag brief --json``), ``news_timeline`` (a story or topic article by
article: ``newsrag timeline --json``), ``add_article_url`` (one page through the SSRF-safe
fetcher), ``list_feeds``. Each calls rag.api.service, as the REST and OpenAI doors do, so the answers,
limits and refusals are the same; a refused call is an MCP tool error (``isError``) carrying the
message, and an unexpected failure one that says only that the details are in the server log.
`mcp_server` builds the server; rag.api.app mounts its streamable HTTP transport at ``/mcp``
(stateless, JSON responses: any process behind a load balancer can answer any call), and
``newsrag mcp`` (rag.api.cli) runs it over stdio.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from rag.api.service import BRIEF_WORDS, UNEXPECTED, ApiError, Service
from rag.render_text import answer_json
from rag.stories.render import brief_json, timeline_json

log = logging.getLogger(__name__)
INSTRUCTIONS = ("newsrag answers questions about the news articles in its corpus, citing the passages it "
                "rests on, and says plainly when the corpus does not cover a question.")


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ToolError(f"{name} is not a date (YYYY-MM-DD): {value[:40]!r}") from None


def _passage(p: Any) -> dict[str, Any]:
    return {"doc_id": p.doc_id, "title": p.title, "published": p.published, "url": p.url, "text": p.text,
            "score": round(p.score, 6)}


def mcp_server(service: Service) -> MCPServer:
    server = MCPServer("newsrag", instructions=INSTRUCTIONS, log_level="WARNING")

    def call(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:  # the caller's mistake or a bound: the message, as a tool error
            raise ToolError(exc.message) from None
        except Exception:  # not the caller's doing: the details go to the log, as the HTTP doors do
            log.exception("the MCP tool call %s failed", fn.__name__)
            raise ToolError(UNEXPECTED) from None

    @server.tool()
    def search_news(query: str, from_date: str | None = None, to_date: str | None = None,
                    k: int | None = None) -> dict[str, Any]:
        """Passages from the news corpus that match ``query``, best first (no language model).

        Optional: ``from_date``/``to_date`` (YYYY-MM-DD) keep articles published in that window;
        ``k`` is how many passages (1-50).
        """
        first, last = _day(from_date, "from_date"), _day(to_date, "to_date")
        passages = call(service.search, query, k=k, first=first, last=last)
        return {"query": query, "passages": [_passage(p) for p in passages]}

    @server.tool()
    def ask_news(question: str, as_of: str | None = None) -> dict[str, Any]:
        """A cited answer from the news corpus: the text with [n] markers, and the passages cited.

        ``abstained`` is true when the corpus does not cover the question; ``form`` is "brief" or
        "timeline" when the question asked what happened or how something developed. ``as_of`` (YYYY-MM-DD)
        answers about the news as of that day.
        """
        day = _day(as_of, "as_of")
        answer = call(service.ask, question, as_of=day.isoformat() if day else None)
        full = answer_json(answer)
        return {key: full[key] for key in ("question", "answer", "abstained", "form", "citations", "window")}

    @server.tool()
    def brief_news(since: str | None = None, from_date: str | None = None, to_date: str | None = None,
                   topic: str | None = None, max_words: int = BRIEF_WORDS) -> dict[str, Any]:
        """A brief of the news: the stories of a window, most important first (how many outlets carry
        them), each sentence citing its articles by number; ``citations`` lists the articles.

        Optional: ``since`` (YYYY-MM-DD or an interval back from today such as 7d; default 7d), or
        ``from_date``/``to_date`` (YYYY-MM-DD, inclusive); ``topic`` keeps the stories about it;
        ``max_words`` (10-5000, default 400) bounds the brief's length. No language model.
        """
        first, last = _day(from_date, "from_date"), _day(to_date, "to_date")
        found = call(service.brief, since=since, first=first.isoformat() if first else None,
                     last=last.isoformat() if last else None, topic=topic, max_words=max_words)
        return brief_json(found)

    @server.tool()
    def news_timeline(topic: str | None = None, story_id: str | None = None) -> dict[str, Any]:
        """How a story developed: every article of the stories about ``topic`` (or of the one story
        ``story_id``, an id from brief_news) in date order, with its day, outlet, title and lead sentence.

        Give one of ``topic`` or ``story_id``.
        """
        return timeline_json(call(service.timeline, topic=topic, story_id=story_id))

    @server.tool()
    def add_article_url(url: str) -> dict[str, Any]:
        """Fetch one article page (http or https) and add it to the corpus."""
        added = call(service.add_url, url)
        return {"added": added.report.added, "updated": added.report.updated, "unchanged": added.report.unchanged,
                "documents": [{"id": d.id, "title": d.title, "published": d.published} for d in added.documents]}

    @server.tool()
    def list_feeds() -> list[dict[str, Any]]:
        """The RSS/Atom feeds newsrag follows, with each one's last sync and article count."""
        return [{"url": f.url, "title": f.title, "last_fetch": f.last_fetch, "last_error": f.last_error,
                 "items": f.items} for f in service.feeds()]

    return server
