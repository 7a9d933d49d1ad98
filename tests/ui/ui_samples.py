"""Sample articles for the UI tests (one of them hostile) and an audit of the HTML the UI produces."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

SEED = ("Major Chinese companies, including Huawei, Alibaba Cloud, Baidu and Tencent, are pooling R&D "
        "resources to develop AI chips. Beijing is offering incentives for startups and universities.")
SEED_REPLY = "Huawei, Alibaba Cloud, Baidu and Tencent are pooling R&D resources [1]."

# Every way article text could become live markup in the page, including Gradio's own
# template syntaxes (gr.HTML evaluates ``${...}`` and Handlebars ``{{...}}``).
HOSTILE_TITLE = 'Zanzibar ferry <script>window.__pwned=1</script> news'
HOSTILE_TEXT = (
    "The Zanzibar ferry company bought three hovercraft for the harbour crossing. "
    '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> '
    "${window.__pwned=1} {{constructor.constructor('window.__pwned=1')()}} "
    '<a href="javascript:window.__pwned=1">click</a> The hovercraft enter service in March.'
)
HOSTILE_REPLY = 'The Zanzibar ferry company bought three hovercraft <img src=x onerror="window.__pwned=1"> [1].'


def write_article(folder: Path, name: str, *, title: str, text: str, url: str | None = None,
                  doc_id: str | None = None, date: str | None = None) -> Path:
    front = [f"title: {title}"]
    if doc_id:
        front.append(f"id: {doc_id}")
    if url:
        front.append(f"url: {url}")
    if date:
        front.append(f"date: {date}")
    path = folder / name
    path.write_text("---\n" + "\n".join(front) + "\n---\n" + text + "\n", encoding="utf-8")
    return path


SAFE_TAGS = {"a", "blockquote", "br", "code", "details", "div", "li", "mark", "ol", "p", "q", "section", "span",
             "strong", "summary", "table", "tbody", "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"class", "href", "id", "rel", "role", "target", "title", "aria-hidden"}


class TagAudit(HTMLParser):
    """Collects every tag and attribute a browser would build from an HTML string."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def audit(markup: str) -> TagAudit:
    """Parse ``markup`` and fail on any tag, attribute or link the UI never means to produce."""
    parser = TagAudit()
    parser.feed(markup)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, f"unexpected <{tag}> in {markup[:300]}"
        assert set(attrs) <= SAFE_ATTRIBUTES, f"unexpected attributes {set(attrs) - SAFE_ATTRIBUTES} on <{tag}>"
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#nr-src-", "#nr-story-", "http://", "https://")), f"unsafe link {href!r}"
    return parser
