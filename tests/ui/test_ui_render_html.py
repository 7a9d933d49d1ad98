"""HTML rendering of answers, sources, reports and the document list: escaped, linked, flagged."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.records import DocumentInfo, Passage
from rag.errors import InputError
from rag.ingest import IngestReport
from rag.records import Answer, AnswerSentence, Citation
from tests.ui.ui_samples import HOSTILE_TEXT, HOSTILE_TITLE, audit
from ui.render_html import (UploadResult, highlight, link, render_answer_html, render_documents_html,
                            render_sources_html, render_sources_panel, render_streaming, render_upload_result,
                            safe_url, text)

PASSAGE = Passage(chunk_id=7, doc_id="seed", title="AI alliances", text="Intro. Huawei and Baidu pool R&D. Outro.",
                  start=0, end=40, url="https://example.com/a?x=1&y=2", published="2025-05-02T10:00:00")


def answer(*sentences: AnswerSentence, citations=(), abstained=False, question="Who pools R&D?") -> Answer:
    body = " ".join(s.text for s in sentences)
    return Answer(question, body, tuple(sentences), tuple(citations), (PASSAGE,), abstained,
                  {"total": 1.25}, 9, "smollm2-135m")


def cited() -> Answer:
    span = PASSAGE.text.index("Huawei"), PASSAGE.text.index(" Outro")
    return answer(AnswerSentence("Huawei and Baidu pool R&D.", (1,), True),
                  AnswerSentence("Pigs fly.", (), False),
                  citations=[Citation(1, PASSAGE, *span, (0,))])


def test_text_escapes_markup_and_template_syntax() -> None:
    out = text('<b a="1">\'x\' & ${y} {{z}} `w`\\')
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert "${" not in out and "{{" not in out and "`" not in out
    assert text("a\nb", breaks=True) == "a<br>b"


@pytest.mark.parametrize("url", ["https://example.com/x", "http://a.b/c?d=1&e=2", "HTTPS://EXAMPLE.COM"])
def test_http_urls_are_safe(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\nscript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "//evil.example/x", "https://",
                                 "vbscript:x", "file:///etc/passwd", "https://a b.com", "http://[::1"])
def test_other_urls_are_not(url: str | None) -> None:
    assert safe_url(url) is None


# Each of these leads a browser (WHATWG URL parsing) to another host than the one Python's urlsplit
# reads, and so than the link's label shows; or hides the host behind look-alike characters.
MISLEADING_URLS = [
    "https://evil.example\\@bank.example/login",  # the browser reads \ as /: host evil.example
    "https://bank.example\\evil.example/login",
    "https://evil.example/\\@bank.example",  # harmless in a browser, but the backslash is refused everywhere
    "https://bank.example@evil.example/login",  # userinfo: the label would start with the user part
    "https://user:pass@bank.example/",
    "https://bank.example%2Fx@evil.example/",
    "https://ev%69l.example/",  # the browser decodes the host: evil.example
    "https://evil\u3002example/",  # ideographic full stop, a dot to a browser
    "https://b\u0430nk.example/",  # Cyrillic a
    "https://bank.example\u2044login.evil.example/",  # fraction slash inside the host
    "https://bank.ex\u00adample/",  # soft hyphen, dropped by IDNA
    "https://bank.example/\u200blogin",  # zero-width space: invisible
    "https://bank.example/\u202elogin",  # right-to-left override
    "http://0x7f.1/",  # the browser reads 127.0.0.1
    "http://2130706433/",
    "http://127.000.000.001/",
    "http://1.2.3.4.5/",
    "http://[fe80::1%25eth0]/",
    "https://bank.example:99999/",
    "https://bank.example:8o/",
    "http:/evil.example/",  # the browser adds the missing slash; Python reads no host
    "http:evil.example",
    "https:///evil.example/",
    "https://bank.example/log\tin",
    "https://bank.example/log\u0085in",
    "ftp://bank.example/",
]


@pytest.mark.parametrize("url", MISLEADING_URLS)
def test_a_link_shown_as_one_host_cannot_lead_to_another(url: str) -> None:
    """Issue 23, finding 9: `https://evil.example\\@bank.example/login` was linked as bank.example/login."""
    assert safe_url(url) is None
    assert "<a" not in link(url)


@pytest.mark.parametrize("url", ["https://bank.example/login", "https://bank.example:8443/a?b=c#d",
                                 "http://127.0.0.1:8080/x", "http://[::1]:8080/x", "https://xn--bnk-sna.example/",
                                 "https://news.example/%C3%BCber?q=a%20b", "https://news.example/über",
                                 "https://my_host.example/", "https://bank.example./login"])
def test_ordinary_links_stay_links(url: str) -> None:
    assert safe_url(url) == url


def test_unsafe_url_is_shown_as_text_not_a_link() -> None:
    out = link("javascript:alert(1)")
    assert "<a" not in out and out == "javascript:alert(1)"
    ok = link("https://example.com/news/today")
    assert ok.startswith('<a href="https://example.com/news/today" target="_blank" rel="noopener noreferrer nofollow">')


def test_answer_links_each_marker_to_its_source_entry() -> None:
    a = cited()
    out = render_answer_html(a, turn=3)
    audit(out)
    assert '<a class="nr-cite" href="#nr-src-3-1"' in out
    # the marker sits before the full stop, as in the checked text
    assert re.search(r"pool R&amp;D <a [^>]+>\[1\]</a>\.", out)
    sources = render_sources_html(a, turn=3)
    audit(sources)
    assert 'id="nr-src-3-1"' in sources
    targets = set(re.findall(r'href="#([^"]+)"', out))
    assert targets <= set(re.findall(r'id="([^"]+)"', sources)), "a citation must never be a dead number"


def test_unsupported_sentence_is_flagged() -> None:
    out = render_answer_html(cited())
    assert '<span class="nr-unsupported"' in out and "Pigs fly." in out
    assert "not supported by the sources" in out


def test_marker_without_a_source_is_not_rendered() -> None:
    a = answer(AnswerSentence("Huawei and Baidu pool R&D.", (1, 4), True),
               citations=[Citation(1, PASSAGE, 0, 6, (0,))])
    out = render_answer_html(a)
    assert "[1]" in out and "[4]" not in out


def test_abstention_is_plain_and_has_no_sources() -> None:
    a = answer(AnswerSentence("The corpus does not cover this question.", (), True), abstained=True)
    out = render_answer_html(a)
    assert "nr-abstained" in out and "The corpus does not cover this question." in out and "<a" not in out
    assert "no passage was cited" in render_sources_html(a)


def test_source_entry_has_title_date_link_and_highlighted_span() -> None:
    out = render_sources_html(cited(), turn=1)
    assert "AI alliances" in out and "2025-05-02" in out
    assert 'href="https://example.com/a?x=1&amp;y=2"' in out
    assert "<mark>Huawei and Baidu pool R&amp;D.</mark>" in out
    assert "Sources for “Who pools R&amp;D?”" in out


def test_highlight_clamps_bad_bounds() -> None:
    assert highlight("abc", -5, 99) == "<mark>abc</mark>"
    assert highlight("abc", 2, 1) == "ab<mark></mark>c"


def test_hostile_article_renders_as_text() -> None:
    passage = Passage(1, "hostile", HOSTILE_TITLE, HOSTILE_TEXT, 0, len(HOSTILE_TEXT),
                      url="javascript:window.__pwned=1", source="/data/uploads/<img src=x>.md")
    a = Answer("q <script>x</script>", HOSTILE_TEXT, (AnswerSentence(HOSTILE_TEXT, (1,), True),),
               (Citation(1, passage, 10, 120, (0,)),), (passage,), False, {}, 1, "<b>model</b>")
    for markup in (render_answer_html(a), render_sources_html(a), render_streaming(HOSTILE_TEXT)):
        parsed = audit(markup)
        shown = "".join(parsed.text)
        assert "<script>window.__pwned=1</script>" in shown or "<img src=x" in shown
        assert "javascript:" not in " ".join(str(attrs.get("href")) for _, attrs in parsed.tags)
    assert "${" not in render_sources_html(a) and "{{" not in render_sources_html(a)


def test_panel_lists_newest_answer_first() -> None:
    assert "appear here" in render_sources_panel([])
    out = render_sources_panel(['<section id="a"></section>', '<section id="b"></section>'])
    assert out.index('id="b"') < out.index('id="a"')


def test_streaming_shows_raw_text_and_a_pending_state() -> None:
    assert "Searching" in render_streaming("")
    assert "Huawei [1" in render_streaming("Huawei [1")


def test_upload_report_escapes_names_and_messages() -> None:
    report = IngestReport(added=["a"], unchanged=["b"], duplicates=[("c", "a")],
                          errors=[InputError("/x/uploads/<img src=x onerror=alert(1)>.md", "file is <b>empty</b>", line=3)])
    info = DocumentInfo("a", "<i>T</i>", "/d/uploads/<b>a.jsonl:2", None, None, 1, 10, "h", "t")
    out = render_upload_result(UploadResult([("<script>.exe", "unsupported <type>")], report, {"a": info}))
    parsed = audit(out)
    shown = "".join(parsed.text)
    assert "added 1, updated 0, unchanged 1, duplicates 1, errors 2" in shown
    assert "<img src=x onerror=alert(1)>.md:3" in shown and "file is <b>empty</b>" in shown
    assert "Refused <script>.exe: unsupported <type>" in shown
    assert "Added a “<i>T</i>” from <b>a.jsonl:2" in shown


def test_document_list_is_escaped_newest_first_and_capped() -> None:
    docs = [DocumentInfo(f"d{i}", f"<b>T{i}</b>", "/s/f.md", "javascript:x" if i == 0 else None,
                         "2025-01-0%d" % (i + 1), i + 1, 100, "h", "t") for i in range(3)]
    out = render_documents_html(docs, limit=2)
    parsed = audit(out)
    shown = "".join(parsed.text)
    assert "3 documents, 6 chunks (showing the newest 2)" in shown
    assert shown.index("d2") < shown.index("d1") and "d0" not in shown
    assert "<b>T2</b>" in shown
    assert "empty" in render_documents_html([])


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=40), body=st.text(min_size=1, max_size=200), url=st.text(max_size=40),
       question=st.text(max_size=40), start=st.integers(-5, 250), end=st.integers(-5, 250))
def test_any_article_text_renders_as_its_own_text(title: str, body: str, url: str, question: str,
                                                  start: int, end: int) -> None:
    passage = Passage(1, "d", title, body, 0, len(body), url=url or None, published=None)
    a = Answer(question, body, (AnswerSentence(body, (1,), True),), (Citation(1, passage, start, end, (0,)),),
               (passage,), False, {}, 1, "m")
    for markup in (render_answer_html(a), render_sources_html(a), render_streaming(body)):
        audit(markup)  # no tag, attribute or link the UI does not write itself
    shown = "".join(audit(render_sources_html(a)).text)
    assert title.replace("\r", "") in shown.replace("\r", "")
