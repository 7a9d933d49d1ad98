"""Fixture articles and feeds, built in code: an article page with full metadata, RSS 2.0 and
Atom documents, and hostile variants (an XML bomb, markup in titles). Shared by the feed tests
and bench/feeds.py."""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import format_datetime
from datetime import datetime, timezone
from html import escape


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    link: str
    published: str  # ISO date
    summary: str = ""
    content: str = ""  # full text in content:encoded, when the feed carries it


def article_html(title: str, paragraphs: list[str], *, published: str = "2024-03-12", author: str = "Ana Reyes",
                 site: str = "The Harbour Post", canonical: str | None = None) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)} | {escape(site)}</title>
<meta property="og:title" content="{escape(title)}"><meta property="og:site_name" content="{escape(site)}">
<meta name="author" content="{escape(author)}"><meta property="article:published_time" content="{published}T08:00:00Z">
{link}</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{escape(title)}</h1>{body}</article><footer>Copyright {escape(site)}</footer></body></html>""".encode()


def _rfc822(day: str) -> str:
    return format_datetime(datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc))


def rss(title: str, items: list[Item]) -> bytes:
    entries = []
    for it in items:
        content = f"<content:encoded><![CDATA[{it.content}]]></content:encoded>" if it.content else ""
        entries.append(f"<item><title>{escape(it.title)}</title><link>{escape(it.link)}</link>"
                       f"<guid isPermaLink=\"false\">{escape(it.guid)}</guid><pubDate>{_rfc822(it.published)}</pubDate>"
                       f"<description>{escape(it.summary)}</description>{content}</item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{escape(title)}</title>'
            f"<link>http://news.example/</link><description>fixture</description>{''.join(entries)}"
            f"</channel></rss>").encode()


def atom(title: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<entry><title>{escape(it.title)}</title><link href=\"{escape(it.link)}\"/><id>{escape(it.guid)}</id>"
        f"<updated>{it.published}T09:00:00Z</updated><summary>{escape(it.summary)}</summary>"
        + (f"<content type=\"html\">{escape(it.content)}</content>" if it.content else "") + "</entry>"
        for it in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>urn:fixture</id><updated>2024-03-12T00:00:00Z</updated>"
            f"{entries}</feed>").encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>"""

# The same bomb declaring an encoding expat cannot read: defusedxml then fails to parse it at all
# (so it never sees the entities), while feedparser transcodes it and reads on.
BILLION_LAUGHS_EUC_JP = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>',
                                               b'<?xml version="1.0" encoding="EUC-JP"?>', 1)
assert BILLION_LAUGHS_EUC_JP != BILLION_LAUGHS

HOSTILE_FEED_TITLE = '<img src=x onerror="window.__pwned=1"> Breaking'
HOSTILE_ITEM_TITLE = '<script>window.__pwned=1</script>Ferry news'
