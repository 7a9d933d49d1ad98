"""Feed subscriptions, their fetch state, and which document each feed item became: the records
and the interface, shared by both backends.

`FeedStore` is what the sync (rag.feeds.sync), the CLI, the chat and `migrate` call; two
backends implement it, `index.sqlite.feeds.SqliteFeedStore` in the SQLite store's database and
`index.postgres.feeds.PostgresFeedStore` in the PostgreSQL one (rag.wiring.open_feeds picks the
one that goes with the document store). Both keep the same two tables, and each write is one
transaction, so a feed's state and its items never disagree after a crash, and removing a feed
removes its items (ON DELETE CASCADE). Which documents a feed made is recorded with its items
(``FeedItem.made``), never read from a document's id: a user's file may give any id, ``feed-...``
included. Not here: fetching or parsing feeds (rag.feeds), the SQL
(index.feed_tables, written once for both).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol, Sequence

# A feed's stored columns, in its fields' order; the same SQL on both backends.
STORED_FEED_COLUMNS = ("url, title, interval_s, added_at, last_fetch, last_success, http_status, etag, "
                       "last_modified, last_error, items_seen")
# What a `Feed` is read from: the item count is derived, so it never disagrees with the item rows.
FEED_COLUMNS = (STORED_FEED_COLUMNS +
                ", (SELECT COUNT(DISTINCT doc_id) FROM feed_items i WHERE i.feed_url = feeds.url)")
ITEM_COLUMNS = "key, link, doc_id, entry_hash, seen_at, made"
# The items whose feed made their document (wrote it under an id of its own): only those documents
# are a feed's to replace or remove. An item can also point at a document the feed did not make
# (a user's, or another feed's, with the same content), which stays out of the feed's reach.
MADE = "made"


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None
    interval_s: int
    added_at: str
    last_fetch: str | None = None
    last_success: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_error: str | None = None
    items_seen: int = 0
    items: int = 0  # documents this feed's items became

    def due(self, now: datetime) -> bool:
        if self.last_fetch is None:
            return True
        last = datetime.fromisoformat(self.last_fetch)
        return (now - last).total_seconds() >= self.interval_s


@dataclass(frozen=True)
class FeedItem:
    key: str  # the entry's GUID, else its link
    link: str | None
    doc_id: str
    entry_hash: str  # of the feed's own fields for the entry: unchanged means nothing to fetch
    seen_at: str | None = None  # when a sync last recorded it; set by the store
    made: bool = False  # the feed made ``doc_id`` (it may replace it, and remove it with the feed)


class FeedStore(Protocol):
    """The feed tables of one store. Safe to share between threads, as the store is."""

    def add(self, url: str, interval_s: int, title: str | None = None, *, update: bool = True) -> bool:
        """Subscribe; False when ``url`` is already a feed (its interval is then updated, if
        ``update``). ValueError for an empty URL or an interval under a second."""

    def remove(self, url: str) -> list[str] | None:
        """Unsubscribe, with the feed's items; the ids of the documents this feed made
        (`FeedItem.made`) that no other feed has (sorted, for the caller to remove), or None when
        ``url`` is not a feed. Never a document the user added, even one an item points at. A
        document it made that another feed still has (the same content) passes to that feed."""

    def all(self) -> list[Feed]:
        """Every feed, oldest subscription first."""

    def get(self, url: str) -> Feed | None: ...

    def record_fetch(self, url: str, *, status: int | None, error: str | None, etag: str | None = None,
                     last_modified: str | None = None, title: str | None = None,
                     items_seen: int | None = None) -> None:
        """A sync attempt's outcome. Validators, title and items seen are kept from before when
        not given; on success (no ``error``) the last error is cleared and the success time set."""

    def items_of(self, url: str) -> dict[str, FeedItem]:
        """A feed's items by key (empty for an unknown feed)."""

    def doc_for_link(self, link: str, url: str) -> str | None:
        """The document the feed ``url`` made (`FeedItem.made`) for an item with this link, if
        any. Not a document the user added with that URL, nor one another feed made: the feed
        would replace their text under their URL and source."""

    def record_items(self, url: str, items: Sequence[FeedItem]) -> None:
        """Insert or update a feed's items, stamped now, in one transaction; StoreError when
        ``url`` is not a feed."""

    def restore(self, feed: Feed, items: Sequence[FeedItem]) -> None:
        """Make ``feed`` (its state as given, ``items`` aside) and exactly these items, with their
        own ``seen_at``, what the store holds for its URL, in one transaction (for `migrate`)."""


def check_subscription(url: str, interval_s: int) -> None:
    """The boundary check of `FeedStore.add`, the same for both backends."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"a feed needs a URL, not {url!r}")
    if isinstance(interval_s, bool) or not isinstance(interval_s, int) or interval_s < 1:
        raise ValueError(f"a feed's interval is a whole number of seconds, at least 1, not {interval_s!r}")


def feed_row(feed: Feed) -> tuple:
    """A feed's values for STORED_FEED_COLUMNS (all but the derived item count)."""
    return (feed.url, feed.title, feed.interval_s, feed.added_at, feed.last_fetch, feed.last_success,
            feed.http_status, feed.etag, feed.last_modified, feed.last_error, feed.items_seen)


def item_row(url: str, item: FeedItem, seen_at: str) -> tuple:
    """An item's values for ``feed_url`` and ITEM_COLUMNS."""
    return (url, item.key, item.link, item.doc_id, item.entry_hash, seen_at, bool(item.made))


def read_item(row: tuple) -> FeedItem:
    """An item from its ITEM_COLUMNS (SQLite keeps ``made`` as 0 or 1)."""
    return FeedItem(*row[:5], made=bool(row[5]))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
