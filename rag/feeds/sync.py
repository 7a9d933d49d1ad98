"""Keep feeds current: one pass fetches each feed, indexes what is new or changed, and records
each feed's state.

Per feed: a conditional GET (ETag / If-Modified-Since); a 304 costs nothing more. Otherwise the
feed is parsed, and each entry matched to what an earlier sync made of it: by GUID (the entry's
key in this feed), then by link (the same article in another feed), then by content hash (the
ingestor's duplicate check). A feed only ever writes documents with the ids it makes
(index.feeds.made_by_feed): a document the user added by URL or file is never matched by its
URL, and one an entry turns out to duplicate is recorded as the entry's but never replaced, nor
removed with the feed. An entry whose feed fields are unchanged is skipped without fetching
anything; a new or edited one becomes a document with a stable id, so an edit replaces the old
version and re-embeds only its changed chunks. An entry with only a summary has its link fetched
for the full article (robots.txt honoured); if that fails the summary is indexed and the error
reported. A feed that cannot be fetched or parsed gets the error in its state and in the summary,
and nothing of it is written; one whose entries cannot be indexed (the embedding server down, a
store write refused) gets it too, keeps what was written and has no validators recorded, so the
next sync tries it again in full; either way the other feeds go on. Unsubscribing goes through
`Syncer.unsubscribe`, which waits for the sync in flight.
Not here: scheduling in the chat (rag.feeds.background), the network rules (rag.web.fetch).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from index.feeds import FEED_DOC_PREFIX, Feed, FeedItem, FeedStore, made_by_feed
from rag.errors import InputError, NewsragError
from rag.feeds.parse import Entry, parse_feed
from rag.ingest import Ingestor
from index.records import Document
from rag.web.article import fetch_article, url_doc_id
from rag.web.fetch import FetchError, Fetcher

FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
# An entry whose own content is shorter than this is taken for a teaser, and its link fetched.
FULL_TEXT_CHARS = 600


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
    """Syncs feeds into one store, and unsubscribes from them; one at a time per process (a
    lock), from any thread."""

    def __init__(self, feeds: FeedStore, ingestor: Ingestor, fetcher: Fetcher) -> None:
        self.feeds = feeds
        self.ingestor = ingestor
        self.fetcher = fetcher
        self._lock = threading.Lock()

    def sync(self, urls: Iterable[str] | None = None, *, due_only: bool = False,
             progress: Callable[[FeedResult], None] | None = None) -> SyncSummary:
        """Sync the given feeds (default: all; ``due_only``: those whose interval has passed)."""
        with self._lock:
            summary = SyncSummary()
            wanted = set(urls) if urls is not None else None
            now = datetime.now(timezone.utc)
            for feed in self.feeds.all():
                if (wanted is not None and feed.url not in wanted) or (due_only and not feed.due(now)):
                    continue
                result = self.sync_feed(feed)
                summary.feeds.append(result)
                if progress:
                    progress(result)
            if summary.total("new") or summary.total("updated"):
                self.ingestor.store.save_vectors()
            return summary

    def unsubscribe(self, url: str, *, keep_documents: bool = False) -> int | None:
        """Remove the feed ``url`` and, unless ``keep_documents``, the documents only it made
        (index.feeds.FeedStore.remove); how many documents went, or None when ``url`` is not a feed.

        Waits for the sync in flight: one fetching this feed would otherwise index its articles
        again after they were removed, and fail recording them (the feed is gone). The lock is
        this process's: a sync in another process that loses its feed this way fails on that
        feed's items alone (a StoreError, reported as the feed's error).
        """
        with self._lock:
            doc_ids = self.feeds.remove(url)
            if doc_ids is None:
                return None
            return 0 if keep_documents else self.ingestor.remove_many(doc_ids)

    def sync_feed(self, feed: Feed) -> FeedResult:
        result = FeedResult(feed.url)
        try:
            response = self.fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified,
                                        accept=FEED_TYPES)
            result.status = response.status
            if response.not_modified:
                result.unchanged = feed.items_seen
                self.feeds.record_fetch(feed.url, status=304, error=None)
                return result
            parsed = parse_feed(feed.url, response.body)
        except InputError as err:  # FetchError included
            result.status = getattr(err, "status", None)
            result.error = err.problem
            self.feeds.record_fetch(feed.url, status=result.status, error=err.problem)
            return result
        try:
            self._index_entries(feed, parsed.entries, parsed.title, result)
        except NewsragError as err:  # ModelError, StoreError: this feed fails, the others go on
            result.error = f"indexing its entries failed: {err}"
            # Without the validators: a 304 next time would leave the entries not indexed.
            self.feeds.record_fetch(feed.url, status=response.status, error=result.error)
            return result
        self.feeds.record_fetch(feed.url, status=response.status, error=None, etag=response.etag,
                                last_modified=response.last_modified, title=parsed.title,
                                items_seen=len(parsed.entries))
        return result

    def _index_entries(self, feed: Feed, entries: Iterable[Entry], feed_title: str | None,
                       result: FeedResult) -> None:
        known = self.feeds.items_of(feed.url)
        todo: list[tuple[Entry, str]] = []
        seen: set[str] = set()
        for entry in entries:
            if entry.key in seen:
                continue  # the same GUID twice in one feed: the first wins
            seen.add(entry.key)
            old = known.get(entry.key)
            if old is not None and old.entry_hash == entry.fingerprint:
                result.unchanged += 1
                continue
            # An item recorded as the twin of a user's document keeps that document out of the feed's
            # reach: its edit becomes a document of the feed's own.
            doc_id = (old.doc_id if old and made_by_feed(old.doc_id) else None) \
                or (self.feeds.doc_for_link(entry.link) if entry.link else None) \
                or url_doc_id(f"{feed.url}\0{entry.key}", prefix=FEED_DOC_PREFIX)
            todo.append((entry, doc_id))
        if not todo:
            return
        documents = [self._document(entry, doc_id, feed_title or feed.title, result) for entry, doc_id in todo]
        report = self.ingestor.add_documents(d for d in documents if d is not None)
        twins = dict(report.duplicates)
        added, updated, unchanged = set(report.added), set(report.updated), set(report.unchanged)
        recorded = []
        for (entry, doc_id), doc in zip(todo, documents):
            if doc is None:
                continue
            if doc_id in added:
                result.new += 1
            elif doc_id in updated:
                result.updated += 1
            elif doc_id in unchanged or doc_id in twins:
                result.unchanged += 1
                doc_id = twins.get(doc_id, doc_id)
            else:
                continue
            recorded.append(FeedItem(entry.key, entry.link, doc_id, entry.fingerprint))
        for error in report.errors:
            result.failed += 1
            result.item_errors.append(str(error))
        self.feeds.record_items(feed.url, recorded)

    def _document(self, entry: Entry, doc_id: str, site: str | None, result: FeedResult) -> Document | None:
        text = entry.content if len(entry.content) >= FULL_TEXT_CHARS else ""
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


def feed_source(key: str) -> str:
    return f"feed item {key}"
