"""One article page by URL: fetched safely, its text and metadata extracted by trafilatura.

`fetch_article` returns a ``Document`` whose id is derived from the URL as given (so adding the
same URL again updates that document), with the title, date, author, site name and canonical URL
the page declares. A page that is not HTML, too large, or has no article text raises
``FetchError``/``InputError`` naming the URL. `is_url` tells URLs from paths on the command line.
Not here: the network rules (rag.web.fetch) and feeds (rag.feeds).
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable, Iterator

from rag.errors import InputError
from rag.limits import Limits
from rag.loaders.cleaning import slugify
from rag.loaders.html import parse_html
from index.records import Document
from rag.web.fetch import FetchError, Fetcher, Response

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)


def is_url(text: str) -> bool:
    """True for anything with a scheme (``http://``, ``ftp://``...): those are fetched or refused,
    never read as a local path."""
    return bool(_URL.match(str(text)))


def url_doc_id(url: str, prefix: str = "web") -> str:
    """A readable, stable id for a URL: ``web-<host-and-path slug>-<8 hex digits of its hash>``."""
    readable = slugify(re.sub(r"^[a-z]+://", "", url.lower()))[:48].strip("-")
    return f"{prefix}-{readable}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:8]}"


def document_from_page(response: Response, url: str, doc_id: str, limits: Limits | None = None) -> Document:
    """The article in a fetched page; ``InputError`` naming ``url`` if it is not an HTML article.

    With ``limits`` (the Ingestor's), text over the limit is refused here and the page's title is
    cut (rag.loaders.html.parse_html); the Ingestor checks the document again either way.
    """
    if response.content_type not in HTML_TYPES:
        raise InputError(url, f"not an HTML page (Content-Type {response.content_type})")
    if not response.body.strip():
        raise InputError(url, "the page is empty")
    match = _CHARSET.search(response.headers.get("content-type", ""))
    doc = parse_html(url, response.body, doc_id, charset=match.group(1) if match else None, limits=limits)
    if doc.url is None:
        # No canonical link in the page: the address it was served from is the next best.
        doc = Document(doc.id, doc.title, doc.text, doc.source, response.url, doc.published, doc.author, doc.site)
    return doc


def fetch_article(fetcher: Fetcher, url: str, doc_id: str | None = None, limits: Limits | None = None) -> Document:
    response = fetcher.get(url, robots=True, accept=ACCEPT_HTML)
    return document_from_page(response, url, doc_id or url_doc_id(url), limits)


def fetch_articles(fetcher: Fetcher, urls: Iterable[str], limits: Limits | None = None) -> Iterator[Document | InputError]:
    """A ``Document`` or an ``InputError`` per URL; one bad page never stops the rest."""
    for url in urls:
        try:
            yield fetch_article(fetcher, url, limits=limits)
        except (FetchError, InputError) as err:
            yield err
