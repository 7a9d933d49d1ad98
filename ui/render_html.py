"""HTML for the chat page: answers with citation links, their sources, upload reports, documents.

Every piece of text that comes from an article, a file, a URL, the model or the user goes through
``text()``: HTML-escaped, plus the few characters that Gradio's HTML templates (``${...}``,
``{{...}}``) would act on. Only http and https URLs become links. The HTML is built from the
structured ``Answer`` (sentences and citation numbers), not by patching the answer's text, so a
marker is a link exactly when its source is in the panel. Presentation only: nothing here
retrieves, checks or stores anything, and nothing imports Gradio.
"""
from __future__ import annotations

import html
import ipaddress
import re
import unicodedata
from datetime import timedelta
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from index.records import DocumentInfo
from rag.errors import InputError
from rag.ingest import IngestReport
from rag.markers import split_closing
from rag.records import Answer, AnswerSentence, Citation

if TYPE_CHECKING:
    from rag.stories.corroboration import Corroboration

# gr.HTML evaluates its value through a JS template (``${}``) and Handlebars (``{{}}``); numeric
# entities display the same characters without either engine seeing them.
_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;", "\\": "&#92;"})
DOCUMENTS_SHOWN = 500  # the list is HTML; tens of thousands of rows would stall the browser


def text(value: object, *, breaks: bool = False) -> str:
    """``value`` as inert HTML text; with ``breaks``, line breaks become ``<br>``."""
    escaped = html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>") if breaks else escaped


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL whose host a browser reads as Python does, else None.

    Browsers parse links by the WHATWG URL standard, Python by RFC 3986; where they differ a link
    can show one host and lead to another (``https://evil.example\\@bank.example/`` goes to
    evil.example). So only an authority both read alike is kept: a plain ASCII host name (no
    percent escapes, no look-alike Unicode), a canonical dotted IPv4 or a bracketed IPv6 address, an
    optional port, and no user part; no backslash, whitespace, control or invisible character
    anywhere. Anything else is shown as text, not linked.
    """
    if not url:
        return None
    url = url.strip()
    if any(ch == "\\" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not url[len(parts.scheme):].startswith("://"):
        return None
    return url if _plain_authority(parts.netloc) else None


# The authority as both parsers read it alike: host (name, dotted IPv4 or [IPv6]) and optional port.
_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?))"
                        r"(?::(?P<port>[0-9]{0,5}))?")
# WHATWG reads a host whose last label is a number (decimal or 0x hex) as an IPv4 address,
# in any of its old forms (0x7f.1, 2130706433, 127.000.000.001).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")


def _plain_authority(netloc: str) -> bool:
    match = _AUTHORITY.fullmatch(netloc)
    if match is None or (match["port"] and int(match["port"]) > 65535):
        return False
    try:
        if match["ipv6"] is not None:
            ipaddress.IPv6Address(match["ipv6"])
        elif _NUMERIC_LABEL.fullmatch(match["name"].rstrip(".").rsplit(".", 1)[-1]):
            ipaddress.IPv4Address(match["name"].rstrip("."))  # canonical dotted quads only
    except ValueError:
        return False
    return True


def link(url: str | None, label: str | None = None) -> str:
    """An external link for an http(s) URL; any other value is shown as plain text."""
    safe = safe_url(url)
    if safe is None:
        return text(url or "")
    if label is None:
        parts = urlsplit(safe)
        label = (parts.hostname or "") + (parts.path if parts.path not in ("", "/") else "")
        label = label if len(label) <= 60 else label[:57] + "..."
    return f'<a href="{text(safe)}" target="_blank" rel="noopener noreferrer nofollow">{text(label)}</a>'


# -- chat -----------------------------------------------------------------------------------------


def source_anchor(turn: int, number: int) -> str:
    """The id of a source entry in the panel; unique per answer in the page."""
    return f"nr-src-{int(turn)}-{int(number)}"


def render_question(question: str) -> str:
    return f'<div class="nr-question">{text(question, breaks=True)}</div>'


def render_streaming(partial: str) -> str:
    """The answer while the model writes it: raw text, markers not yet checked."""
    if not partial.strip():
        return '<div class="nr-answer nr-pending">Searching the corpus…</div>'
    return (f'<div class="nr-answer nr-streaming">{text(partial, breaks=True)}'
            '<span class="nr-cursor" aria-hidden="true">▍</span></div>')


def render_error(message: str) -> str:
    return f'<div class="nr-answer nr-error" role="alert">Could not answer: {text(message, breaks=True)}</div>'


def render_answer_html(answer: Answer, turn: int = 1) -> str:
    """The checked answer: citation markers link to the sources panel, unsupported sentences flagged."""
    if answer.abstained:
        # A letter in a CSS circle, not a symbol character: a browser without an emoji or symbol
        # font (Debian's Chromium) drew U+24D8 as an empty box.
        return (f'<div class="nr-answer nr-abstained" role="note"><span class="nr-icon" aria-hidden="true">i</span> '
                f'{text(answer.text, breaks=True)}</div>')
    titles = {c.number: c.passage.title for c in answer.citations}
    sentences = [_sentence_html(s, turn, titles) for s in answer.sentences] or [text(answer.text)]
    meta = [f"{len(answer.citations)} source{'s' if len(answer.citations) != 1 else ''}"]
    if answer.form in ("brief", "timeline"):
        # One line per story (brief) or article (timeline), extractive unless the model wrote the
        # brief's summaries (story_summaries = "model": the answer names the model then).
        head = _story_heading(answer)
        items = "".join(f"<li>{s}</li>" for s in sentences)
        meta.append(f"from the stories, summaries by {text(answer.model)}" if answer.model
                    else "from the stories, no model")
        return (f'<div class="nr-answer nr-{answer.form}"><div class="nr-form">{head}</div>'
                f'<ol class="nr-items">{items}</ol><div class="nr-meta">{" · ".join(meta)}</div></div>')
    if answer.model:
        meta.append(text(answer.model))
    if "total" in answer.timings:
        meta.append(f"{answer.timings['total']:.1f} s")
    return (f'<div class="nr-answer">{" ".join(sentences)}'
            f'<div class="nr-meta">{" · ".join(meta)}</div></div>')


def _story_heading(answer: Answer) -> str:
    if answer.form == "timeline":
        return "Timeline, oldest first"
    if answer.window is None:
        return "Brief: the most reported stories first"
    last = answer.window.end - timedelta(days=1)
    return (f"Brief of {text(answer.window.start.isoformat())} to {text(last.isoformat())}: "
            "the most reported stories first")


def _sentence_html(sentence: AnswerSentence, turn: int, titles: dict[int, str]) -> str:
    body, closing = split_closing(sentence.text)  # markers before closing punctuation, as in the text
    markers = "".join(
        f'<a class="nr-cite" href="#{source_anchor(turn, n)}" title="{text(titles.get(n, ""))}">[{int(n)}]</a>'
        for n in sentence.citations if n in titles  # a number with no source is never shown
    )
    html_text = text(body) + (f" {markers}" if markers else "") + text(closing)
    if sentence.supported:
        return html_text
    return (f'<span class="nr-unsupported" title="No retrieved passage supports this sentence">{html_text}</span>'
            '<span class="nr-flag">⚠ not supported by the sources</span>')


def highlight(passage_text: str, start: int, end: int) -> str:
    """The passage with ``[start:end]`` in ``<mark>``; bounds are clamped, never trusted."""
    start = max(0, min(int(start), len(passage_text)))
    end = max(start, min(int(end), len(passage_text)))
    # Blank lines around a chunk only pad the panel (the passage keeps its line breaks).
    return (text(passage_text[:start].lstrip()) + f"<mark>{text(passage_text[start:end])}</mark>"
            + text(passage_text[end:].rstrip()))


def render_source(citation: Citation, turn: int, corroboration: Corroboration | None = None) -> str:
    """One source; with its ``corroboration``, how many other outlets carry its story."""
    p = citation.passage
    facts = [text(p.published[:10]) if p.published else "no date"]
    if safe_url(p.url):
        facts.append(link(p.url))
    elif p.url or p.source:
        facts.append(f'<span class="nr-where">{text(p.url or _short_source(p.source))}</span>')
    facts.append(f'<span class="nr-docid">id {text(p.doc_id)}</span>')
    if corroboration is not None:
        facts.append(f'<span class="nr-corroboration">{text(_corroboration_text(corroboration))}</span>')
    return (f'<li class="nr-source" id="{source_anchor(turn, citation.number)}">'
            f'<div class="nr-source-head"><span class="nr-num">[{int(citation.number)}]</span> '
            f'<span class="nr-title">{text(p.title)}</span></div>'
            f'<div class="nr-facts">{" · ".join(facts)}</div>'
            f'<blockquote class="nr-passage">{highlight(p.text, citation.span_start, citation.span_end)}</blockquote>'
            "</li>")


def _corroboration_text(c: Corroboration) -> str:
    if c.others == 0:
        return "only this outlet reports its story"
    return f"also reported by {c.others} outlet{'s' if c.others != 1 else ''}"


def render_sources_html(answer: Answer, turn: int = 1,
                        corroboration: Mapping[str, Corroboration] | None = None) -> str:
    """This answer's entry in the sources panel; ``corroboration`` (by document id) says under
    each source how many other outlets carry its story."""
    corroboration = corroboration or {}
    head = f'<div class="nr-turn-q">Sources for “{text(answer.question)}”</div>'
    if answer.abstained:
        # Not "the corpus does not cover it": a reply that only restated the question abstains too.
        body = '<p class="nr-none">None: no passage was cited.</p>'
    elif not answer.citations:
        body = '<p class="nr-none">No retrieved passage supports this answer.</p>'
    else:
        body = '<ol class="nr-sources">' + "".join(
            render_source(c, turn, corroboration.get(c.passage.doc_id)) for c in answer.citations) + "</ol>"
    return f'<section class="nr-turn" id="nr-turn-{int(turn)}">{head}{body}</section>'


def render_sources_panel(sections: Sequence[str]) -> str:
    """All answers' sources, newest first, so a citation in any earlier answer still resolves."""
    if not sections:
        return ('<div class="nr-panel"><p class="nr-empty">The sources of each answer appear here, '
                "with the cited passage highlighted.</p></div>")
    return '<div class="nr-panel">' + "".join(reversed(sections)) + "</div>"


def _short_source(source: str) -> str:
    """A file name rather than a full local path (``/home/.../uploads/a.jsonl:3`` -> ``a.jsonl:3``)."""
    return PurePath(source).name if ("/" in source or "\\" in source) else source


# -- documents ------------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What happened to one upload: files refused before reading, and the ingest report."""

    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    report: IngestReport | None = None
    documents: dict[str, DocumentInfo] = field(default_factory=dict)  # the stored documents it names


def render_upload_result(result: UploadResult) -> str:
    report = result.report or IngestReport()
    counts = (f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
              f"duplicates {len(report.duplicates)}, errors {len(report.errors) + len(result.rejected)}")
    items: list[str] = []

    def doc(doc_id: str) -> str:
        info = result.documents.get(doc_id)
        if info is None:
            return f"<code>{text(doc_id)}</code>"
        return f"<code>{text(doc_id)}</code> “{text(info.title)}” from {text(_short_source(info.source))}"

    items += [f'<li class="nr-added">Added {doc(d)}</li>' for d in report.added]
    items += [f'<li class="nr-updated">Updated {doc(d)}</li>' for d in report.updated]
    items += [f'<li class="nr-unchanged">Unchanged {doc(d)} (already in the corpus)</li>' for d in report.unchanged]
    items += [f'<li class="nr-duplicate">Skipped <code>{text(d)}</code>: same content as {doc(twin)}</li>'
              for d, twin in report.duplicates]
    items += [f'<li class="nr-error">{_input_error(e)}</li>' for e in report.errors]
    items += [f'<li class="nr-error">Refused <code>{text(name)}</code>: {text(reason)}</li>'
              for name, reason in result.rejected]
    timing = f" in {report.seconds:.1f} s" if result.report is not None else ""
    return (f'<div class="nr-report"><p><strong>{counts}</strong>; {report.chunks} chunks{timing}.</p>'
            f'<ul>{"".join(items)}</ul></div>')


def _input_error(error: InputError) -> str:
    where = PurePath(error.path).name + (f":{error.line}" if error.line is not None else "")
    return f"Error in <code>{text(where)}</code>: {text(error.problem)}"


def render_documents_html(docs: Iterable[DocumentInfo], limit: int = DOCUMENTS_SHOWN) -> str:
    """The corpus as a table (newest first): id, title, date, chunks, source."""
    docs = list(docs)
    if not docs:
        return '<p class="nr-empty">The corpus is empty: upload some articles.</p>'
    shown = list(reversed(docs))[:limit]
    rows = []
    for d in shown:
        where = link(d.url) if safe_url(d.url) else text(d.url or _short_source(d.source))
        rows.append(f"<tr><td><code>{text(d.id)}</code></td><td>{text(d.title)}</td>"
                    f"<td>{text((d.published or '')[:10])}</td><td class=\"nr-n\">{int(d.chunks)}</td>"
                    f"<td>{where}</td></tr>")
    more = f" (showing the newest {len(shown)})" if len(shown) < len(docs) else ""
    total_chunks = sum(d.chunks for d in docs)
    return (f'<p class="nr-count">{len(docs)} documents, {total_chunks} chunks{more}</p>'
            '<table class="nr-docs"><thead><tr><th>id</th><th>title</th><th>date</th><th>chunks</th>'
            f'<th>source</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
