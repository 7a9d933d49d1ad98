"""``.html``/``.htm`` files: article text via trafilatura, metadata, encodings, no network."""
from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Bridge reopens after repairs | Example News</title>
<meta property="og:title" content="Bridge reopens after repairs">
<link rel="canonical" href="https://news.example.com/2024/03/bridge-reopens">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now</a></li></ul></nav>
<article>
<h1>Bridge reopens after repairs</h1>
<p>The Old Town bridge reopened to traffic on Tuesday after eight months of repairs that cost
the city 4.2 million euros, officials said at a ceremony attended by several hundred residents.</p>
<p>Engineers replaced the corroded steel cables and resurfaced the deck. The mayor said the work
finished two weeks ahead of schedule and under budget, thanks to a mild winter.</p>
<p>Cyclists will get a separate lane from next month, when the painting crews return.</p>
</article>
<footer>Copyright 2024 Example News. All rights reserved. Cookie settings.</footer>
</body></html>
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the HTML loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_article_text_and_metadata(tmp_path: Path, load_one, no_network: None) -> None:
    path = tmp_path / "Bridge_Reopens.html"
    path.write_text(ARTICLE, encoding="utf-8")
    doc = load_one(path)
    assert isinstance(doc, Document), doc
    assert doc.id == "bridge-reopens"
    assert doc.title == "Bridge reopens after repairs"
    assert doc.url == "https://news.example.com/2024/03/bridge-reopens"
    assert doc.published == "2024-03-05"
    assert doc.source == str(path)
    assert "eight months of repairs" in doc.text and "Cyclists will get a separate lane" in doc.text
    assert "<" not in doc.text and "Subscribe now" not in doc.text and "All rights reserved" not in doc.text


def test_htm_fragment_without_html_or_body(tmp_path: Path, load_one, no_network: None) -> None:
    path = tmp_path / "snippet.htm"
    path.write_text("<p>Short saved snippet about <b>rain</b>.</p>", encoding="utf-8")
    doc = load_one(path)
    assert isinstance(doc, Document), doc
    # trafilatura may put inline elements of a tiny page on lines of their own
    assert doc.text.split() == ["Short", "saved", "snippet", "about", "rain", "."] or doc.text == "Short saved snippet about rain."
    assert doc.title.startswith("Short saved snippet about")


def test_page_without_text_is_an_error(tmp_path: Path, load_one, no_network: None) -> None:
    path = tmp_path / "empty-page.html"
    path.write_text("<html><head><title>Only a title</title><script>var x = 1;</script></head><body><img src=a.png></body></html>")
    assert str(load_one(path)) == f"{path}: no article text could be extracted from this page"


def test_declared_legacy_charset_is_honoured(tmp_path: Path, load_one, no_network: None) -> None:
    path = tmp_path / "old.html"
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>' \
           "<body><p>Caf\u00e9 owners \u201cwelcome\u201d the new rules.</p></body></html>"
    path.write_bytes(html.encode("cp1252"))
    doc = load_one(path)
    assert isinstance(doc, Document), doc
    assert "Caf\u00e9 owners \u201cwelcome\u201d" in doc.text


def test_undeclared_non_utf8_names_the_line(tmp_path: Path, load_one) -> None:
    path = tmp_path / "old.html"
    path.write_bytes(b"<html>\n<body>\n<p>Caf\xe9</p></body></html>")
    assert str(load_one(path)) == f"{path}:3: not valid UTF-8 (byte 0xE9): save it as UTF-8"


def test_page_claiming_utf8_that_is_not(tmp_path: Path, load_one) -> None:
    path = tmp_path / "liar.html"
    path.write_bytes(b'<html><head><meta charset="utf-8"></head>\n<body><p>Caf\xe9</p></body></html>')
    err = load_one(path)
    assert isinstance(err, InputError) and err.line == 2 and "not valid UTF-8 (byte 0xE9)" in str(err)


def test_unknown_declared_charset(tmp_path: Path, load_one) -> None:
    path = tmp_path / "odd.html"
    path.write_bytes(b'<html><head><meta charset="klingon-8"></head><body><p>Caf\xe9</p></body></html>')
    assert str(load_one(path)) == f"{path}: cannot decode the page as its declared charset 'klingon-8': save it as UTF-8"


def test_binary_and_empty_and_too_big(tmp_path: Path, load_one) -> None:
    binary, empty, big = tmp_path / "b.html", tmp_path / "e.html", tmp_path / "big.html"
    binary.write_bytes(b"<html>\x00\x01\x02</html>")
    empty.write_bytes(b" \n ")
    big.write_text("<p>" + "x" * 5000 + "</p>")
    assert str(load_one(binary)) == f"{binary}: looks like a binary file (it contains NUL bytes)"
    assert str(load_one(empty)) == f"{empty}: file is empty"
    assert str(load_one(big, max_bytes=4096)) == f"{big}: file is 4.9 KB, over the 4 KB limit"


def test_deeply_nested_divs_do_not_crash_or_hang(tmp_path: Path, load_one, no_network: None) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * 10_000 + "Deep text here." + "</div>" * 10_000 + "</body></html>")
    start = time.monotonic()
    item = load_one(path)
    assert time.monotonic() - start < 10
    assert isinstance(item, (Document, InputError))


def test_missing_trafilatura_gives_an_install_hint(tmp_path: Path, load, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.html"
    path.write_text(ARTICLE)
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # makes `import trafilatura` fail
    with pytest.raises(ImportError, match="pip install trafilatura"):
        load(path)
