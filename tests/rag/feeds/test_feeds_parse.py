"""Feed bytes that declare XML entities are refused before any parser reads them, whatever their
encoding (review finding C); a feed that only mentions them in escaped text is not."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from feed_samples import BILLION_LAUGHS, BILLION_LAUGHS_EUC_JP, Item, rss

from rag.errors import InputError
from rag.feeds.parse import FeedLimits, parse_feed

URL = "https://bombs.example/feed.xml"


def declaring(encoding: str, codec: str, doc: bytes = BILLION_LAUGHS) -> bytes:
    text = doc.decode("ascii").replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    return text.encode(codec)


@pytest.mark.parametrize("data", [
    BILLION_LAUGHS,
    BILLION_LAUGHS_EUC_JP,  # expat cannot read EUC-JP: defusedxml failed and let it through
    BILLION_LAUGHS.replace(b"<!ENTITY", b"<!entity"),
    BILLION_LAUGHS_EUC_JP.replace(b"<!ENTITY", b"<!Entity"),
    declaring("UTF-16", "utf-16"),
    declaring("UTF-16LE", "utf-16-le"),
    declaring("UTF-16BE", "utf-16-be"),
    declaring("UTF-32", "utf-32"),
    declaring("CP037", "cp037"),  # EBCDIC, which feedparser recognises and transcodes
], ids=["utf-8", "euc-jp", "lower-case", "euc-jp-mixed-case", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
        "ebcdic"])
def test_a_feed_declaring_entities_is_refused_naming_its_url(data: bytes) -> None:
    with pytest.raises(InputError, match="declares XML entities") as refused:
        parse_feed(URL, data)
    assert str(refused.value).startswith(URL + ": ")


def test_a_feed_that_only_mentions_entity_declarations_is_read() -> None:
    data = rss("XML news", [Item("g1", "How <!ENTITY bombs work", "https://x.example/1", "2024-03-01",
                                 summary="A declaration such as <!ENTITY lol \"lol\"> is expanded by...")])
    (entry,) = parse_feed(URL, data).entries
    assert entry.title == "How <!ENTITY bombs work"


_FIELD = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed_title=_FIELD, entries=st.lists(st.tuples(_FIELD, _FIELD, _FIELD), min_size=1, max_size=5))
def test_feed_and_entry_fields_stay_within_the_limits_whatever_the_feed_says(feed_title, entries) -> None:
    """Issue 23, finding 6 (fuzz): titles, authors, keys and links of a parsed feed never exceed
    the limits, however long what the feed declares."""
    limits = FeedLimits(max_title_chars=40, max_key_chars=80, max_url_chars=60)
    items = [Item(guid, title, "https://news.example/" + link, "2024-03-01", summary="Some text.")
             for guid, title, link in entries]
    parsed = parse_feed(URL, rss(feed_title, items), limits)
    assert parsed.title is None or len(parsed.title) <= 40
    for entry in parsed.entries:
        assert len(entry.title) <= 40 and len(entry.author or "") <= 40
        assert len(entry.key) <= 80 and len(entry.link or "") <= 60
    assert all(URL in problem and "max_url_chars" in problem for problem in parsed.refused)
