"""Read the feed URLs from an OPML subscription list (what every feed reader exports).

defusedxml parses it with entity declarations refused, so a hostile file cannot expand or pull
in external entities. Every ``<outline>`` with an ``xmlUrl`` counts, at any depth (readers nest
them in folders); duplicates are dropped. Not here: subscribing (rag.feeds.sync, the CLI).
"""
from __future__ import annotations

from pathlib import Path

from rag.errors import InputError
from rag.loaders.cleaning import clean_line
from rag.loaders.reading import read_bytes

MAX_OPML_BYTES = 5 * 1024 * 1024


def read_opml(path: Path) -> list[tuple[str, str | None]]:
    """(feed URL, title) pairs in file order; ``InputError`` naming the file and problem."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    data = read_bytes(Path(path), MAX_OPML_BYTES)
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(path, f"refused: the file declares XML entities ({type(exc).__name__})") from None
    except ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise InputError(path, f"not well-formed XML: {exc}", line) from None
    if root.tag.lower() != "opml":
        raise InputError(path, f"not an OPML file (its root element is <{root.tag}>)")
    out: dict[str, str | None] = {}
    for outline in root.iter("outline"):
        url = clean_line(outline.get("xmlUrl") or outline.get("xmlurl") or "")
        if url and url not in out:
            out[url] = clean_line(outline.get("title") or outline.get("text") or "") or None
    if not out:
        raise InputError(path, "no feeds in this OPML file (no <outline xmlUrl=...>)")
    return list(out.items())
