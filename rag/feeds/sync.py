"""Keep feeds current: one pass fetches each feed, indexes what is new or changed, and records
each feed's state.

Per feed: a conditional GET (ETag / If-Modified-Since); a 304 costs nothing more. Otherwise the
feed is parsed, and each entry matched to what an earlier sync made of it: by GUID (the entry's
key in this feed), then by link (an article this feed made under another key), then by content
hash (the ingestor's duplicate check). A feed only ever writes documents it made, as its items
record (index.feeds.FeedItem.made), never judged by a document's id: a document the user added
by URL or file is never matched by its URL, one an entry turns out to duplicate is recorded as
the entry's but never replaced, nor removed with the feed, and another feed's article with the
same link is not this feed's to rewrite (a different text becomes a document of its own). An
entry whose feed fields are unchanged is skipped without fetching anything; a new or edited one
becomes a document with a stable id, so an edit replaces the old version and re-embeds only its
changed chunks. An entry with only a summary has its link fetched for the full article
(robots.txt honoured); if that fails the summary is indexed and the error reported.

Bounded work (`SyncLimits`): at most ``max_entries`` new or changed entries of one feed per sync,
newest first, and ``max_fetches`` article pages per pass over all feeds. What is over a cap is
not recorded as seen, and the feed's new validators are not kept, so the next sync takes it; the
summary counts it (``FeedResult.left``). Documents stream into the store as they are made (the
ingestor writes them in batches), never all held at once. A feed that cannot be fetched or
parsed gets the error in its state and in the summary, and nothing of it is written; one whose
entries cannot be indexed (the embedding server down, a store write refused) gets it too, keeps
what was written and has no validators recorded, so the next sync tries it again in full; either
way the other feeds go on. The sync lock is taken per feed, in arrival order, so `Syncer.unsubscribe`
waits for the feed in flight, not the whole pass.
Not here: scheduling in the chat (rag.feeds.background), the network rules (rag.web.fetch).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

from index.feeds import Feed, FeedItem, FeedStore
from rag.errors import InputError, NewsragError
from rag.feeds.parse import Entry, FeedLimits, parse_feed
from rag.ingest import Ingestor
from index.records import Document
from rag.web.article import fetch_article, url_doc_id
from rag.web.fetch import FetchError, Fetcher

FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
# An entry whose own content is shorter than this is taken for a teaser, and its link fetched.
FULL_TEXT_CHARS = 600
# The ids the sync gives the documents it makes start so, for people reading them; nothing is
# decided by it (index.feeds.FeedItem.made is).
FEED_DOC_PREFIX = "feed"


@dataclass(frozen=True)
class SyncLimits:
    """How much one sync does (rag.settings: feed_max_entries, feed_max_fetches), and what one
    entry may bring (max_title_chars, max_id_chars, max_url_chars: rag.feeds.parse.FeedLimits)."""

    max_entries: int = 200  # new or changed entries indexed per feed per sync, newest first
    max_fetches: int = 100  # article pages fetched per pass, over all feeds
    entry: FeedLimits = FeedLimits()


class _FifoLock:
    """A lock granted in the order it was asked for: a sync that releases it between feeds and
    asks again at once must not keep an unsubscribe waiting (threading.Lock is not fair)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = self._serving = 0

    def __enter__(self) -> None:
        with self._cond:
            ticket, self._next = self._next, self._next + 1
            self._cond.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


@dataclass
class FeedResult:
    url: str
    status: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # entries that could not be indexed
    error: str | None = None  # the feed itself failed
    item_errors: list[str] = field(default_factory=list)
    articles_fetched: int = 0
    left: int = 0  # new or changed entries over a cap, for the next sync

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SyncSummary:
    feeds: list[FeedResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.feeds)

    @property
    def failed_feeds(self) -> list[FeedResult]:
        return [f for f in self.feeds if not f.ok]


class Syncer:
    """Syncs feeds into one store, and unsubscribes from them; one feed at a time per process (a
    lock), from any thread."""

    def __init__(self, feeds: FeedStore, ingestor: Ingestor, fetcher: Fetcher,
                 limits: SyncLimits = SyncLimits()) -> None:
        self.feeds = feeds
        self.ingestor = ingestor
        self.fetcher = fetcher
        self.limits = limits
        self._lock = _FifoLock()

    def sync(self, urls: Iterable[str] | None = None, *, due_only: bool = False,
             progress: Callable[[FeedResult], None] | None = None) -> SyncSummary:
        """Sync the given feeds (default: all; ``due_only``: those whose interval has passed).
        A feed unsubscribed while the pass runs is skipped."""
        summary = SyncSummary()
        wanted = set(urls) if urls is not None else None
        now = datetime.now(timezone.utc)
        fetches = [self.limits.max_fetches]  # what is left of this pass's article fetches
        for listed in self.feeds.all():
            if (wanted is not None and listed.url not in wanted) or (due_only and not listed.due(now)):
                continue
            with self._lock:  # per feed, so an unsubscribe waits for this feed, not the pass
                feed = self.feeds.get(listed.url)
                if feed is None:
                    continue
                result = self.sync_feed(feed, fetches)
            summary.feeds.append(result)
            if progress:
                progress(result)
        if summary.total("new") or summary.total("updated"):
            with self._lock:
                self.ingestor.store.flush()
        return summary

    def unsubscribe(self, url: str, *, keep_documents: bool = False) -> int | None:
        """Remove the feed ``url`` and, unless ``keep_documents``, the documents only it made
        (index.feeds.FeedStore.remove); how many documents went, or None when ``url`` is not a feed.

        Waits for the feed a sync has in flight (not for the rest of the pass, which then skips
        this feed): one fetching this feed would otherwise index its articles again after they
        were removed, and fail recording them (the feed is gone). The lock is
        this process's: a sync in another process that loses its feed this way fails on that
        feed's items alone (a StoreError, reported as the feed's error).
        """
        with self._lock:
            doc_ids = self.feeds.remove(url)
            if doc_ids is None:
                return None
            return 0 if keep_documents else self.ingestor.remove_many(doc_ids)

    def sync_feed(self, feed: Feed, fetches: list[int] | None = None) -> FeedResult:
        """Sync one feed; ``fetches`` holds the article fetches still allowed, and is decreased
        (default: the limit, for this feed alone). The caller holds the lock, as `sync` does."""
        result = FeedResult(feed.url)
        fetches = [self.limits.max_fetches] if fetches is None else fetches
        try:
            response = self.fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified,
                                        accept=FEED_TYPES)
            result.status = response.status
            if response.not_modified:
                result.unchanged = feed.items_seen
                self.feeds.record_fetch(feed.url, status=304, error=None)
                return result
            parsed = parse_feed(feed.url, response.body, self.limits.entry)
        except InputError as err:  # FetchError included
            result.status = getattr(err, "status", None)
            result.error = err.problem
            self.feeds.record_fetch(feed.url, status=result.status, error=err.problem)
            return result
        result.failed += len(parsed.refused)
        result.item_errors.extend(parsed.refused)
        try:
            self._index_entries(feed, parsed.entries, parsed.title, result, fetches)
        except NewsragError as err:  # ModelError, StoreError: this feed fails, the others go on
            result.error = f"indexing its entries failed: {err}"
            # Without the validators: a 304 next time would leave the entries not indexed.
            self.feeds.record_fetch(feed.url, status=response.status, error=result.error)
            return result
        # With entries left, the new validators would get a 304 next time, and the rest never comes.
        validators = {} if result.left else {"etag": response.etag, "last_modified": response.last_modified}
        self.feeds.record_fetch(feed.url, status=response.status, error=None, title=parsed.title,
                                items_seen=len(parsed.entries), **validators)
        return result

    def _index_entries(self, feed: Feed, entries: Iterable[Entry], feed_title: str | None,
                       result: FeedResult, fetches: list[int]) -> None:
        known = self.feeds.items_of(feed.url)
        todo: list[tuple[Entry, str]] = []
        seen: set[str] = set()
        for entry in newest_first(entries):
            if entry.key in seen:
                continue  # the same GUID twice in one feed: the first wins
            seen.add(entry.key)
            old = known.get(entry.key)
            if old is not None and old.entry_hash == entry.fingerprint:
                result.unchanged += 1
                continue
            if len(todo) >= self.limits.max_entries or (self._needs_article(entry) and fetches[0] <= 0):
                result.left += 1  # not recorded: the next sync finds it new still
                continue
            if self._needs_article(entry):
                fetches[0] -= 1
            # Only a document this feed made is its to replace: an item recorded as the twin of a
            # user's (or another feed's) document gets a document of the feed's own when it changes.
            doc_id = (old.doc_id if old and old.made else None) \
                or (self.feeds.doc_for_link(entry.link, feed.url) if entry.link else None) \
                or url_doc_id(f"{feed.url}\0{entry.key}", prefix=FEED_DOC_PREFIX)
            todo.append((entry, doc_id))
        if not todo:
            return
        made: list[tuple[Entry, str]] = []  # the entries that became documents, in order

        def documents() -> Iterator[Document]:
            for entry, doc_id in todo:
                doc = self._document(entry, doc_id, feed_title or feed.title, result)
                if doc is not None:
                    made.append((entry, doc_id))
                    yield doc

        report = self.ingestor.add_documents(documents())  # written in batches as they come
        twins = dict(report.duplicates)
        added, updated, unchanged = set(report.added), set(report.updated), set(report.unchanged)
        recorded = []
        for entry, doc_id in made:
            if doc_id in added:
                result.new += 1
            elif doc_id in updated:
                result.updated += 1
            elif doc_id in unchanged or doc_id in twins:
                result.unchanged += 1
            else:
                continue
            # A twin is another document (a user's, another feed's, or one of this feed's): not made here.
            recorded.append(FeedItem(entry.key, entry.link, twins.get(doc_id, doc_id), entry.fingerprint,
                                     made=doc_id not in twins))
        for error in report.errors:
            result.failed += 1
            result.item_errors.append(str(error))
        self.feeds.record_items(feed.url, recorded)

    @staticmethod
    def _needs_article(entry: Entry) -> bool:
        return len(entry.content) < FULL_TEXT_CHARS and bool(entry.link)

    def _document(self, entry: Entry, doc_id: str, site: str | None, result: FeedResult) -> Document | None:
        text = "" if self._needs_article(entry) else entry.content
        article = None
        if not text and entry.link:
            try:
                result.articles_fetched += 1
                article = fetch_article(self.fetcher, entry.link, doc_id)
                text = article.text
            except (FetchError, InputError) as err:
                result.item_errors.append(f"{err} (indexed the feed's summary instead)")
        text = text or entry.content or entry.summary
        if not text:
            result.failed += 1
            result.item_errors.append(f"{entry.link or entry.key}: the entry has no text")
            return None
        return Document(
            id=doc_id,
            title=entry.title or (article.title if article else "") or entry.link or entry.key,
            text=text,
            source=entry.link or feed_source(entry.key),
            url=(article.url if article else None) or entry.link,
            published=entry.published or (article.published if article else None),
            author=entry.author or (article.author if article else None),
            site=site or (article.site if article else None),
        )


def feed_url_problem(url: str, max_url_chars: int) -> str | None:
    """Why ``url`` cannot be subscribed to (it is the feed's key in the store), or None."""
    if not url.lower().startswith(("http://", "https://")):
        return "not an http(s) feed URL"
    if len(url) > max_url_chars:
        return f"a feed URL of {len(url):,} characters, over max_url_chars ({max_url_chars:,})"
    return None


def shown_url(url: str, limit: int = 120) -> str:
    """``url`` for a message: its start, when it is long."""
    return url if len(url) <= limit else url[:limit] + "…"


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """The entries by date, newest first; undated ones after, in the feed's order."""
    return sorted(entries, key=lambda e: e.published or "", reverse=True)  # stable, reversed too


def feed_source(key: str) -> str:
    return f"feed item {key}"
