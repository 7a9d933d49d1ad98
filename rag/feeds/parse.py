"""Parse fetched feed bytes (RSS 0.9x/1.0/2.0, Atom) into `Entry` records with feedparser.

feedparser only ever sees bytes we fetched (never a URL: it would fetch by itself, past every
network rule of rag.web.fetch). A feed whose bytes declare XML entities (``<!ENTITY``, any case,
in an ASCII-compatible encoding, UTF-16, UTF-32, or the EBCDIC feedparser recognises) is refused
before any parser reads it, so a "billion laughs" bomb is never expanded: no real feed needs an
entity declaration, and a parser check alone let through what the checking parser could not read
(an encoding expat lacks, such as EUC-JP, which feedparser transcodes). Then defusedxml reads the
document with entity declarations forbidden, as a second guard; a document that is not
well-formed XML is still handed to feedparser, which reads many broken real-world feeds, and
refused only if it finds no feed in it. The cost: a literal ``<!ENTITY`` inside CDATA (an article
about XML) refuses its feed too; an escaped one (``&lt;!ENTITY``) is text and passes. Entry text is plain text: HTML in summaries
and content is reduced to its text here. `FeedLimits` bounds what a feed may store: titles (and
authors) are cut to ``max_title_chars`` (display text: a feed title of millions of characters
bloated every page listing it), a GUID longer than ``max_key_chars`` is kept as its hash (it is
a key in the store, and PostgreSQL's btree refuses index rows of more than a few kilobytes), and
an entry whose link is longer than ``max_url_chars`` is refused, named in ``ParsedFeed.refused``
with the feed's URL. Not here: deciding what to fetch or index (rag.feeds.sync).
"""
from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rag.errors import InputError
from rag.loaders.cleaning import clean_line, normalise_text


@dataclass(frozen=True)
class Entry:
    key: str  # GUID, else link, else a hash of title and summary
    link: str | None
    title: str
    published: str | None  # ISO date
    author: str | None
    summary: str  # plain text
    content: str  # plain text of the full content, "" when the feed carries only a summary

    @property
    def fingerprint(self) -> str:
        """A hash of everything the feed says about this entry: unchanged means nothing to do."""
        h = hashlib.sha256()
        for part in (self.key, self.link or "", self.title, self.published or "", self.author or "",
                     self.summary, self.content):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: tuple[Entry, ...]
    refused: tuple[str, ...] = ()  # entries over a limit, each a message naming the feed


@dataclass(frozen=True)
class FeedLimits:
    """What one entry may bring (rag.settings: max_title_chars, max_id_chars, max_url_chars)."""

    max_title_chars: int | None = None
    max_key_chars: int | None = None
    max_url_chars: int | None = None


def parse_feed(url: str, data: bytes, limits: FeedLimits = FeedLimits()) -> ParsedFeed:
    """The feed in ``data`` (fetched from ``url``), within ``limits``; ``InputError`` naming
    ``url`` if it is none."""
    _refuse_entities(url, data)
    try:
        import feedparser
    except ImportError:
        raise ImportError("reading feeds needs feedparser: pip install feedparser") from None
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise InputError(url, "not an RSS or Atom feed" + (f" ({clean_line(str(problem))[:160]})" if problem else ""))
    entries, refused = [], []
    for raw in parsed.entries:
        entry = _entry(raw, limits)
        if entry is None:
            continue
        if limits.max_url_chars is not None and entry.link and len(entry.link) > limits.max_url_chars:
            refused.append(f"{url}: entry {entry.key[:80]!r} refused: a link of {len(entry.link):,} characters, "
                           f"over max_url_chars ({limits.max_url_chars:,})")
            continue
        entries.append(entry)
    title = cut(clean_line(parsed.feed.get("title", "") or ""), limits.max_title_chars) or None
    return ParsedFeed(title, tuple(entries), tuple(refused))


# "<!entity" as it looks in the encodings whose letters `bytes.lower` folds as ASCII (their
# other bytes are zero); EBCDIC is decoded instead (see _refuse_entities).
_ENTITY_DECLARATIONS = tuple(dict.fromkeys("<!entity".encode(codec) for codec in (
    "ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")))
_EBCDIC_MARKER = b"\x4c\x6f\xa7\x94"  # "<?xm" in cp037, as feedparser recognises it


def _declares_entities(data: bytes) -> bool:
    folded = data.decode("cp037").lower().encode("ascii", "ignore") if data.startswith(_EBCDIC_MARKER) \
        else data.lower()
    return any(needle in folded for needle in _ENTITY_DECLARATIONS)


def _refuse_entities(url: str, data: bytes) -> None:
    if _declares_entities(data):
        raise InputError(url, "refused: the feed declares XML entities (<!ENTITY), as entity-expansion bombs do")
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(url, f"refused: the feed declares XML entities ({type(exc).__name__}), "
                              "as entity-expansion bombs do") from None
    except (ParseError, ValueError):
        pass  # not well-formed: feedparser's lenient parser decides (see the module docstring)


def cut(text: str, limit: int | None) -> str:
    """``text``, or its first ``limit`` characters with an ellipsis as the last."""
    if limit is None or len(text) <= limit:
        return text
    return text[:max(0, limit - 1)].rstrip() + "…"


def _entry(raw: Any, limits: FeedLimits) -> Entry | None:
    title = cut(clean_line(raw.get("title", "") or ""), limits.max_title_chars)
    link = clean_line(raw.get("link", "") or "") or None
    summary = html_text(raw.get("summary", "") or "")
    content = ""
    for part in raw.get("content", None) or ():
        text = html_text(part.get("value", "") or "")
        if len(text) > len(content):
            content = text
    if content == summary:
        content = ""
    if not (title or summary or content or link):
        return None
    key = clean_line(raw.get("id", "") or "") or link or hashlib.sha256(f"{title}\0{summary}".encode()).hexdigest()
    if limits.max_key_chars is not None and len(key) > limits.max_key_chars:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()  # stable, and short
    author = cut(clean_line(raw.get("author", "") or ""), limits.max_title_chars) or None
    return Entry(key, link, title, _date(raw), author, summary, content)


def _date(raw: Any) -> str | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(name)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), timezone.utc).date().isoformat()
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def html_text(markup: str) -> str:
    """The text of an HTML fragment (feed summaries and content), paragraphs kept apart."""
    if "<" not in markup and "&" not in markup:
        return normalise_text(markup)
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises assorted errors on hostile markup; fall back to nothing
        return ""
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for block in root.xpath("//p|//br|//div|//li|//h1|//h2|//h3|//h4|//blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return normalise_text(root.text_content())
