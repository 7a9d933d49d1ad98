"""The REST door under ``/api/``: ask, search, stories, documents, feeds, health (OpenAPI docs at ``/docs``).

``POST /api/ask`` answers with the JSON of ``newsrag ask --json``; ``GET /api/search`` returns
passages only (no model); ``GET /api/stories``, ``/api/brief`` and ``/api/timeline`` the JSON of
``newsrag stories list``, ``brief`` and ``timeline --json`` (no model either, unless
``story_summaries = "model"``: then the model writes the summaries it has not cached); documents are listed, added by upload (multipart, the chat's upload
rules and size limit) or by URL (the SSRF-safe fetcher), and removed by id; feeds are listed,
added (and synced once), removed and synced. Request and response bodies are Pydantic models, so
a wrong type is a 422 naming the field. Not here: what each call does (rag.api.service), auth
and limits (rag.api.app).
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from rag.api.service import BRIEF_WORDS, MAX_BRIEF_WORDS, MAX_STORIES, MAX_TOP_K, MIN_BRIEF_WORDS, Added, Service
from rag.feeds.sync import SyncSummary
from rag.render_text import answer_json, passage_json
from rag.stories.render import brief_json, story_summary_json, timeline_json

SINCE = "a date (YYYY-MM-DD) or an interval back from today such as 7d (default 7d)"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskRequest(Strict):
    question: str = Field(description="the question; at most max_question_chars characters")
    as_of: date | None = Field(None, description="answer about the news as of this day (YYYY-MM-DD)")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="passages to retrieve")
    mode: Literal["hybrid", "dense", "keyword"] | None = Field(None, description="the retriever")
    history: list[tuple[str, str]] = Field(default_factory=list,
                                           description="earlier (question, answer) pairs, oldest first")


class UrlRequest(Strict):
    url: str = Field(description="an article page (http or https)")


class FeedRequest(Strict):
    url: str = Field(description="an RSS or Atom feed")
    every: str | None = Field(None, description="how often to sync it: 30m, 2h, 1d (default: feed_interval)")


class DocumentOut(BaseModel):
    id: str
    title: str
    published: str | None
    url: str | None
    source: str
    chunks: int


class AddReport(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    duplicates: list[dict[str, str]]
    errors: list[str]
    chunks: int
    documents: list[DocumentOut]


class FeedOut(BaseModel):
    url: str
    title: str | None
    interval_s: int
    last_fetch: str | None
    http_status: int | None
    last_error: str | None
    items: int


class FeedSync(BaseModel):
    url: str
    status: int | None
    new: int
    updated: int
    unchanged: int
    failed: int
    error: str | None
    item_errors: list[str]


class Removed(BaseModel):
    removed: str
    documents: int = 0


def document_out(d: Any) -> DocumentOut:
    return DocumentOut(id=d.id, title=d.title, published=d.published, url=d.url, source=d.source or "",
                       chunks=d.chunks)


def add_report(added: Added) -> AddReport:
    r = added.report
    return AddReport(added=r.added, updated=r.updated, unchanged=r.unchanged,
                     duplicates=[{"id": a, "duplicate_of": b} for a, b in r.duplicates],
                     errors=[str(e) for e in r.errors], chunks=r.chunks,
                     documents=[document_out(d) for d in added.documents])


def sync_out(summary: SyncSummary) -> list[FeedSync]:
    return [FeedSync(url=f.url, status=f.status, new=f.new, updated=f.updated, unchanged=f.unchanged,
                     failed=f.failed, error=f.error, item_errors=f.item_errors) for f in summary.feeds]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["REST"])

    @api.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": service.app.pipeline.generator.name}

    @api.post("/ask")
    def ask(body: AskRequest) -> dict[str, Any]:
        answer = service.ask(body.question, body.history, as_of=body.as_of.isoformat() if body.as_of else None,
                             top_k=body.top_k, mode=body.mode)
        return answer_json(answer)

    @api.get("/search")
    def search(q: str = Query(description="what to search for"),
               k: int | None = Query(None, ge=1, le=MAX_TOP_K, description="passages to return"),
               first: date | None = Query(None, alias="from", description="published on or after (YYYY-MM-DD)"),
               last: date | None = Query(None, alias="to", description="published on or before (YYYY-MM-DD)"),
               ) -> dict[str, Any]:
        passages = service.search(q, k=k, first=first, last=last)
        return {"query": q, "passages": [passage_json(p) for p in passages]}

    @api.get("/stories")
    def stories(since: str | None = Query(None, description=SINCE),
                limit: int = Query(20, ge=1, le=MAX_STORIES, description="stories to return"),
                ) -> list[dict[str, Any]]:
        """The stories of the window, most important first, each with its summary and citations."""
        return [story_summary_json(s, service.app.summaries) for s in service.stories(since, limit)]

    @api.get("/brief")
    def brief(since: str | None = Query(None, description=SINCE + "; ignored with from/to"),
              first: date | None = Query(None, alias="from", description="first day (YYYY-MM-DD)"),
              last: date | None = Query(None, alias="to", description="last day, inclusive (YYYY-MM-DD)"),
              topic: str | None = Query(None, description="only the stories retrieval finds for this text"),
              max_words: int = Query(BRIEF_WORDS, ge=MIN_BRIEF_WORDS, le=MAX_BRIEF_WORDS,
                                     description="the brief stops at the story that crosses this"),
              ) -> dict[str, Any]:
        """The window's stories, most important first, each cited, as ``newsrag brief --json``."""
        return brief_json(service.brief(since=since, first=first.isoformat() if first else None,
                                        last=last.isoformat() if last else None, topic=topic, max_words=max_words))

    @api.get("/timeline")
    def timeline(topic: str | None = Query(None, description="the stories retrieval finds for this text"),
                 story: str | None = Query(None, description="one story's id (from /api/stories)"),
                 ) -> dict[str, Any]:
        """How a story or a topic developed, article by article in date order, as ``newsrag timeline --json``."""
        return timeline_json(service.timeline(topic=topic, story_id=story))

    @api.get("/documents")
    def documents() -> list[DocumentOut]:
        return [document_out(d) for d in service.documents()]

    @api.post("/documents", status_code=201)
    def upload(file: UploadFile = File(description="one article file: .txt .md .html .jsonl .pdf")) -> AddReport:
        with tempfile.TemporaryDirectory(prefix="newsrag-upload-") as folder:
            path = Path(folder) / "upload"
            with path.open("wb") as out:
                shutil.copyfileobj(file.file, out)
            return add_report(service.add_upload(file.filename or "", path))

    @api.post("/documents/url", status_code=201)
    def add_url(body: UrlRequest) -> AddReport:
        return add_report(service.add_url(body.url))

    @api.delete("/documents/{doc_id:path}")
    def remove(doc_id: str) -> Removed:
        service.remove(doc_id)
        return Removed(removed=doc_id)

    @api.get("/feeds")
    def feeds() -> list[FeedOut]:
        return [FeedOut(url=f.url, title=f.title, interval_s=f.interval_s, last_fetch=f.last_fetch,
                        http_status=f.http_status, last_error=f.last_error, items=f.items) for f in service.feeds()]

    @api.post("/feeds", status_code=201)
    def add_feed(body: FeedRequest) -> list[FeedSync]:
        return sync_out(service.add_feed(body.url, body.every))

    @api.delete("/feeds")
    def remove_feed(url: str = Query(description="the feed's URL")) -> Removed:
        return Removed(removed=url, documents=service.remove_feed(url))

    @api.post("/feeds/sync")
    def sync() -> list[FeedSync]:
        return sync_out(service.sync())

    return api

