"""What the API's three doors (OpenAI, REST, MCP) do, over one `Newsrag`, with their bounds.

Each door parses its own wire format and calls these methods, so a question gets the same
answer, citations and refusals whichever door it came through. Bad input raises `ApiError`
(an HTTP status and a message for the caller); nothing is written to the store before the input
is checked. Bounds: at most ``api_workers`` questions are answered at once and the rest queue (up
to ``api_queue_timeout`` seconds, then 503); the model's own lock (rag.generation) still serialises
generation, so a burst of API calls waits its turn beside the chat page rather than sharing the
model. Writes (uploads, URLs, removals, feeds) take one lock, like the chat's "ingest" worker.
A new capability is one method here, under its own heading below, and one route or tool per door
that calls it (rag.api.rest, rag.api.openai, rag.api.mcp). Not here: HTTP, JSON shapes,
authentication (rag.api.app).
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

from index.errors import NewsragError
from index.records import Document, Passage
from index.stories import Story
from rag.errors import InputError, QuestionError
from rag.feeds.sync import SyncSummary, feed_url_problem
from rag.ingest import IngestReport
from rag.pipeline import History, checked_question
from rag.records import Answer
from rag.settings import RETRIEVERS, parse_interval
from rag.stories.brief import Brief, brief, retrieval_finder
from rag.stories.story import stories_in, story
from rag.stories.timeline import Timeline, timeline
from rag.stories.window import window_of
from rag.timeexpr import TimeWindow
from rag.uploads import UploadRejected, prune_uploads, record_uploads, store_upload, uploads_dir, validate_upload
from rag.web.article import fetch_article, is_url
from rag.wiring import Newsrag

# What a caller hears of a failure that is not its doing (the details go to the server log).
UNEXPECTED = "something went wrong; the details are in the server log"
MAX_TOP_K = 50  # passages one request may ask for (the chat's slider stops at 10)
MAX_STORIES = 100  # stories one list may hold
BRIEF_WORDS, MIN_BRIEF_WORDS, MAX_BRIEF_WORDS = 400, 10, 5000  # newsrag brief's default and floor


class ApiError(Exception):
    """A request refused: ``status`` (HTTP), a message for the caller, the parameter at fault."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind


@dataclass(frozen=True)
class Added:
    """What adding one document (an upload or a page) did."""

    report: IngestReport
    documents: tuple[Document, ...] = ()


class Service:
    def __init__(self, app: Newsrag) -> None:
        self.app = app
        self.queue_timeout = app.settings.api_queue_timeout
        self._slots = threading.BoundedSemaphore(app.settings.api_workers)  # the chat has its own
        self._writes = threading.Lock()

    # -- questions ------------------------------------------------------------------------------

    def question(self, text: str, param: str = "question") -> str:
        try:
            return checked_question(text, self.app.settings.max_question_chars)
        except QuestionError as exc:
            raise ApiError(400, str(exc), param=param) from None

    def stream(self, question: str, history: History = (), *, as_of: str | None = None, top_k: int | None = None,
               mode: str | None = None, param: str = "question") -> Iterator[str | Answer]:
        """The pipeline's pieces then its `Answer`, holding one of the API's slots throughout."""
        question = self.question(question, param)
        self._check_options(top_k, mode)
        with self._slot():
            stream = self.app.pipeline.stream(question, history, top_k=top_k, mode=mode, as_of=as_of)
            try:
                yield from stream
            except QuestionError as exc:
                raise ApiError(400, str(exc), param=param) from None
            except NewsragError as exc:
                raise ApiError(503, str(exc), kind="server_error", code="model_unavailable") from None
            finally:
                stream.close()  # the model's lock goes at once when a client disconnects

    def ask(self, question: str, history: History = (), **options) -> Answer:
        answer = None
        for item in self.stream(question, history, **options):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None, "Pipeline.stream ended without an Answer"
        return answer

    def search(self, query: str, *, k: int | None = None, first: date | None = None,
               last: date | None = None) -> list[Passage]:
        """Passages only, no model: the best ``k`` published between ``first`` and ``last``."""
        query = self.question(query, "q")
        self._check_options(k, None, "k")
        if first and last and first > last:
            raise ApiError(400, f"from ({first}) is after to ({last})", param="from")
        window = None
        if first or last:
            start, end = first or date(1, 1, 1), (last or date(9999, 12, 30)) + timedelta(days=1)
            window = TimeWindow(start, end, "from/to")
        with self._slot():
            passages = self.app.retriever.retrieve(query, top_k=k, window=window)
        if window is not None:  # the retriever tops a thin window up from outside it: not here
            lo, hi = window.iso()
            passages = [p for p in passages if p.published and lo <= p.published[:10] < hi]
        return passages

    def _check_options(self, top_k: int | None, mode: str | None, name: str = "top_k") -> None:
        if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
            raise ApiError(400, f"{name} must be between 1 and {MAX_TOP_K}, not {top_k}", param=name)
        if mode is not None and mode not in RETRIEVERS:
            raise ApiError(400, f"mode must be one of {', '.join(RETRIEVERS)}, not {mode!r}", param="mode")

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.queue_timeout):
            raise ApiError(503, f"busy: no answer slot came free within {self.queue_timeout:g} seconds",
                           kind="server_error", code="busy")
        try:
            yield
        finally:
            self._slots.release()

    # -- stories --------------------------------------------------------------------------------

    def stories(self, since: str | None = None, limit: int = 20) -> list[Story]:
        """The stories of the window ``since`` names (a date or an interval such as 7d; default
        7d), most important first, as ``newsrag stories list``."""
        if not 1 <= limit <= MAX_STORIES:
            raise ApiError(400, f"limit must be between 1 and {MAX_STORIES}, not {limit}", param="limit")
        window = self._window(since, None, None)
        with self._slot():
            return stories_in(self.app.stories, window, limit)

    def brief(self, *, since: str | None = None, first: str | None = None, last: str | None = None,
              topic: str | None = None, max_words: int = BRIEF_WORDS) -> Brief:
        """The brief of a window (``since``, or ``first``/``last`` inclusive), as ``newsrag brief``;
        a topic keeps the stories retrieval finds for it."""
        window = self._window(since, first, last)
        topic = self.question(topic, "topic") if topic else None
        if not MIN_BRIEF_WORDS <= max_words <= MAX_BRIEF_WORDS:
            raise ApiError(400, f"max_words must be between {MIN_BRIEF_WORDS} and {MAX_BRIEF_WORDS}, not {max_words}",
                           param="max_words")
        with self._slot():
            return brief(self.app.stories, window, topic, max_words,
                         find=retrieval_finder(self.app.retriever) if topic else None, summarise=self.app.summaries)

    def timeline(self, *, topic: str | None = None, story_id: str | None = None) -> Timeline:
        """How one story (its id) or the stories of a topic developed, as ``newsrag timeline``."""
        if bool(topic) == bool(story_id):
            raise ApiError(400, "give either a topic or a story id, not both or neither", param="topic")
        if story_id is not None and story(self.app.stories, story_id) is None:
            raise ApiError(404, f"no story with id {story_id[:300]!r}", param="story", code="not_found")
        query = story_id or self.question(topic or "", "topic")
        with self._slot():
            return timeline(self.app.stories, query, find=retrieval_finder(self.app.retriever))

    def _window(self, since: str | None, first: str | None, last: str | None) -> tuple[str, str]:
        try:
            return window_of(since, first, last)
        except ValueError as exc:
            raise ApiError(400, str(exc), param="since" if since and not (first or last) else "from") from None

    # -- documents ------------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return list(self.app.store.documents())

    def add_upload(self, name: str, path: Path) -> Added:
        """Index one uploaded file (``path``: its bytes, ``name``: the name the client gave)."""
        max_mb = self.app.settings.upload_max_mb
        try:
            safe = validate_upload(name, path.stat().st_size, max_mb)
        except UploadRejected as exc:
            raise ApiError(400, f"{name or '(no name)'}: {exc}", param="file") from None
        folder = uploads_dir(self.app.settings.data_dir)
        with self._writes:
            try:
                stored = store_upload(path, safe, folder, int(max_mb * 1024 * 1024))
            except UploadRejected as exc:
                raise ApiError(400, f"{name}: {exc}", param="file") from None
            report = self.app.ingestor.add([stored])
            record_uploads(folder, {stored.name: [*report.added, *report.updated, *report.unchanged]})
            prune_uploads(folder, {d.id for d in self.app.store.documents()})
        return self._added(report, "file")

    def add_url(self, url: str) -> Added:
        """Fetch one article page through the SSRF-safe fetcher and index it."""
        url = (url or "").strip()
        if not is_url(url) or not url.lower().startswith(("http://", "https://")):
            raise ApiError(400, f"not an http(s) URL: {url[:200]!r}", param="url")
        try:
            doc = fetch_article(self.app.fetcher, url, limits=self.app.ingestor.limits)
        except NewsragError as exc:
            raise ApiError(400, str(exc), param="url") from None
        with self._writes:
            report = self.app.ingestor.add_documents([doc])
        return self._added(report, "url")

    def _added(self, report: IngestReport, param: str) -> Added:
        if report.errors and not (report.added or report.updated or report.unchanged):
            raise ApiError(400, "; ".join(str(e) for e in report.errors), param=param)
        ids = {*report.added, *report.updated, *report.unchanged}
        return Added(report, tuple(d for d in self.app.store.documents() if d.id in ids))

    def remove(self, doc_id: str) -> None:
        with self._writes:
            if not self.app.ingestor.remove(doc_id):
                raise ApiError(404, f"no document with id {doc_id[:300]!r}", param="id", code="not_found")
            prune_uploads(uploads_dir(self.app.settings.data_dir), {d.id for d in self.app.store.documents()})

    # -- feeds ----------------------------------------------------------------------------------

    def feeds(self) -> list:
        return list(self.app.feeds.all())

    def add_feed(self, url: str, every: str | None = None) -> SyncSummary:
        """Subscribe to a feed and sync it once."""
        url = (url or "").strip()
        problem = feed_url_problem(url, self.app.settings.max_url_chars)
        if problem:
            raise ApiError(400, f"{problem}: {url[:200]!r}", param="url")
        try:
            interval = parse_interval(every or self.app.settings.feed_interval)
        except (InputError, NewsragError, ValueError) as exc:
            raise ApiError(400, str(exc), param="every") from None
        with self._writes:
            self.app.feeds.add(url, interval, update=False)
            return self.app.syncer.sync([url])

    def remove_feed(self, url: str) -> int:
        with self._writes:
            removed = self.app.syncer.unsubscribe((url or "").strip())
        if removed is None:
            raise ApiError(404, f"not a feed: {url[:200]!r}", param="url", code="not_found")
        return removed

    def sync(self) -> SyncSummary:
        with self._writes:
            return self.app.syncer.sync()

