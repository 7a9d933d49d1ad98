"""Hostile input: whatever bytes a file holds, the loaders yield clean Documents or InputErrors.

Property-based (hypothesis) over arbitrary bytes, mixed encodings, JSON-ish lines and nested
markup, plus fixed cases for huge lines and 10,000 nested ``<div>``; and, with every limit set
low, random files and feeds pushed through the Ingestor into a real store, whose documents are
read back and held to each limit (issue 23). Example counts are kept small so the file runs in
seconds; a SIGALRM guard turns a hang into a failure (timings belong in bench/).
"""
from __future__ import annotations

import json
from html import escape
import re
import signal
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import EMB, limits, open_store
from fakes import HashEmbedder
from feed_samples import Item, atom, rss
from index.records import Document
from rag.chunking import Chunker
from rag.errors import InputError
from rag.ingest import Ingestor
from rag.loaders import MB, load_paths

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HANG_SECONDS = 60
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@pytest.fixture(autouse=True)
def fail_on_hang() -> Iterator[None]:
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"loader still running after {HANG_SECONDS} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_clean(items: list[Document | InputError], path: Path) -> None:
    """Every item is a Document with clean text and fields, or an InputError naming the file."""
    for item in items:
        if isinstance(item, InputError):
            assert item.path == str(path) and str(item).startswith(str(path))
            assert item.line is None or item.line >= 1
            continue
        assert isinstance(item, Document)
        for value in (item.id, item.title, item.text, item.source, item.url or "", item.published or ""):
            assert isinstance(value, str)
            value.encode("utf-8")  # no lone surrogates
            assert not _UNCLEAN.search(value), repr(value)
        assert item.text and item.text == item.text.strip("\n")
        assert item.id and item.title
        assert all(line == line.rstrip() for line in item.text.split("\n"))


def load_file(path: Path, data: bytes, max_bytes: int = 100_000) -> list[Document | InputError]:
    path.write_bytes(data)
    items = list(load_paths([path], limits(file_bytes=max_bytes, text_chars=10**8)))
    check_clean(items, path)
    return items


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html", ".htm", ".jsonl", ".pdf"]))
def test_arbitrary_bytes(workdir: Path, data: bytes, suffix: str) -> None:
    items = load_file(workdir / f"any{suffix}", data)
    if suffix != ".jsonl":
        assert len(items) == 1


ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "shift_jis", "koi8-r"]


@st.composite
def mixed_encodings(draw: st.DrawFn) -> bytes:
    """Pieces of text, each encoded differently, glued together (a file edited by several tools)."""
    pieces = draw(st.lists(st.tuples(st.text(max_size=60), st.sampled_from(ENCODINGS)), min_size=1, max_size=6))
    return b"\n".join(text.encode(enc, errors="replace") for text, enc in pieces)


@FUZZ
@given(data=mixed_encodings(), suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl"]))
def test_mixed_encodings(workdir: Path, data: bytes, suffix: str) -> None:
    load_file(workdir / f"mixed{suffix}", data)


@FUZZ
@given(text=st.text(min_size=1, max_size=300))
def test_any_utf8_text_file_loads_or_is_empty(workdir: Path, text: str) -> None:
    """Valid UTF-8 without NUL always loads, unless nothing printable is left."""
    data = text.encode("utf-8", errors="surrogatepass").replace(b"\x00", b"")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return  # surrogates are not UTF-8: covered by the arbitrary-bytes test
    [item] = load_file(workdir / "valid.txt", data)
    if isinstance(item, InputError):
        assert item.problem in ("file is empty", "file is UTF-16, not UTF-8: save it as UTF-8") or "front matter" in item.problem


FRONT_MATTER_LINE = st.one_of(
    st.tuples(st.sampled_from(["id", "title", "url", "source", "date", "published", "tags", "Title"]), st.text(max_size=30))
    .map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.text(max_size=30),
)


@FUZZ
@given(lines=st.lists(FRONT_MATTER_LINE, max_size=8), body=st.text(max_size=100), close=st.sampled_from(["---", "...", ""]))
def test_front_matter(workdir: Path, lines: list[str], body: str, close: str) -> None:
    raw = "\n".join(["---", *lines, close, body])
    [item] = load_file(workdir / "front.md", raw.encode("utf-8", errors="replace"))
    if isinstance(item, InputError) and item.line is not None:
        # errors point into the front matter (a drawn "line" may itself hold newlines)
        assert 2 <= item.line <= 1 + sum(line.count("\n") + 1 for line in lines)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ROWS = st.one_of(
    st.fixed_dictionaries(
        {"text": st.text(max_size=80)},
        optional={"id": JSON_VALUES, "title": JSON_VALUES, "url": JSON_VALUES, "published": JSON_VALUES},
    ).map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.text(max_size=40),
)


@FUZZ
@given(rows=st.lists(ROWS, max_size=12))
def test_jsonl_gives_exactly_one_item_per_non_blank_line(workdir: Path, rows: list[str]) -> None:
    data = "\n".join(r.replace("\n", " ").replace("\r", " ") for r in rows).encode("utf-8", errors="surrogatepass")
    path = workdir / "rows.jsonl"
    items = load_file(path, data)
    non_blank = [i for i, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    if not non_blank:
        assert [str(i) for i in items] == [f"{path}: file is empty"]
        return
    if any(isinstance(i, InputError) and i.line is None for i in items):
        return  # a file-level refusal (e.g. a NUL in the first 8 KB)
    lines = [i.line if isinstance(i, InputError) else int(i.source.rsplit(":", 1)[1]) for i in items]
    assert lines == non_blank


@FUZZ
@given(
    tags=st.lists(st.sampled_from(["div", "p", "span", "table", "tr", "td", "ul", "li", "b", "article", "script"]), max_size=300),
    words=st.text(max_size=100),
    close=st.booleans(),
)
def test_nested_html(workdir: Path, tags: list[str], words: str, close: bool) -> None:
    markup = "".join(f"<{t}>" for t in tags) + words + ("".join(f"</{t}>" for t in reversed(tags)) if close else "")
    load_file(workdir / "nested.html", markup.encode("utf-8", errors="replace"))


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_divs(workdir: Path, depth: int) -> None:
    markup = "<html><body>" + "<div>" * depth + "<p>Deep paragraph text.</p>" + "</div>" * depth + "</body></html>"
    load_file(workdir / "deep.html", markup.encode())


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".jsonl"])
def test_one_huge_line(workdir: Path, suffix: str) -> None:
    """A 4 MB single line: loaded (within the limit) or refused (how fast is bench's business)."""
    body = ("lorem ipsum dolor " * 250_000)[:4_000_000]
    data = (json.dumps({"text": body}) if suffix == ".jsonl" else f"<p>{body}</p>" if suffix == ".html" else body).encode()
    [item] = load_file(workdir / f"huge{suffix}", data, max_bytes=8_000_000)
    if suffix != ".html":  # trafilatura may refuse a single 4 MB paragraph; the others must not
        assert isinstance(item, Document) and len(item.text) == len(body.rstrip())
    [refused] = load_file(workdir / f"huge{suffix}", data, max_bytes=MB)
    assert isinstance(refused, InputError) and "over the 1 MB limit" in str(refused)


# -- issue 23: with the limits set low, nothing over any limit reaches the store -----------------

# id_chars leaves room for the ids newsrag derives itself (feed items: about 60 characters).
LOW = limits(file_bytes=6_000, text_chars=400, id_chars=64, title_chars=40, url_chars=60)
# Lengths straddling the low limits, and characters that are wide in UTF-8 or odd.
PIECE = st.text(alphabet=st.sampled_from(list("ab -\u6f22\u202e\u00e9\U0001f600\x00\ud800")) | st.characters(),
                max_size=70)
LONG = st.one_of(PIECE, st.integers(20, 500).map(lambda n: "w " * n))


@pytest.fixture(scope="module")
def low_ingestor(tmp_path_factory: pytest.TempPathFactory) -> Ingestor:
    store = open_store(tmp_path_factory.mktemp("low-store"))
    return Ingestor(store, HashEmbedder(EMB.dim), Chunker(120, 20), limits=LOW)


def assert_within_limits(ingestor: Ingestor) -> None:
    """Every stored document, read back from the store, is within every limit."""
    store = ingestor.store
    for info in store.documents():
        (prepared,) = store.read_prepared([info.id])
        doc = prepared.document
        assert LOW.id_problem(doc.id) is None and len(doc.id) <= LOW.id_chars, doc.id
        assert len(doc.text) <= LOW.text_chars and info.chars <= LOW.text_chars
        assert len(doc.title) <= LOW.title_chars, doc.title
        assert doc.url is None or LOW.url_problem(doc.url) is None, doc.url
        for name in (doc.author, doc.site):
            assert name is None or len(name) <= LOW.title_chars
        for value in (doc.id, doc.title, doc.text, doc.url or "", doc.source):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogates


@st.composite
def low_limit_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["txt", "md", "jsonl", "html"]))
    if kind == "jsonl":
        rows = draw(st.lists(st.fixed_dictionaries({"text": LONG}, optional={"id": LONG, "title": LONG, "url": LONG}),
                             min_size=1, max_size=4))
        return kind, "\n".join(json.dumps(r) for r in rows).encode("utf-8", "surrogatepass")
    if kind == "md":
        meta = draw(st.lists(st.tuples(st.sampled_from(["id", "title", "url", "source"]), LONG), max_size=4))
        head = "".join(f"{k}: {v.replace(chr(10), ' ')}\n" for k, v in meta)
        return kind, f"---\n{head}---\n{draw(LONG)}\n".encode("utf-8", "surrogatepass")
    if kind == "html":
        title, canonical, author = draw(LONG), draw(LONG), draw(LONG)
        paragraphs = draw(st.lists(LONG, min_size=1, max_size=4))
        page = (f'<html><head><title>{escape(title)}</title><link rel="canonical" href="https://e.org/{escape(canonical)}">'
                f'<meta name="author" content="{escape(author)}"></head><body><article>'
                + "".join(f"<p>{escape(p)}</p>" for p in paragraphs) + "</article></body></html>")
        return kind, page.encode("utf-8", "surrogatepass")
    return kind, draw(LONG).encode("utf-8", "surrogatepass")


@FUZZ
@given(file=low_limit_files())
def test_no_file_past_any_limit_reaches_the_store(workdir: Path, low_ingestor: Ingestor, file: tuple[str, bytes]) -> None:
    kind, data = file
    path = workdir / f"low.{kind}"
    path.write_bytes(data)
    report = low_ingestor.add([path])
    assert all(isinstance(e, InputError) for e in report.errors)
    assert_within_limits(low_ingestor)


def feed_documents(data: bytes) -> list[Document]:
    """The feed's entries as Documents, mapped as rag/feeds/sync.py maps them (no article fetch)."""
    from rag.feeds.parse import parse_feed
    from rag.web.article import url_doc_id

    parsed = parse_feed("http://feed.example/rss", data)
    return [Document(id=url_doc_id(f"http://feed.example/rss\0{e.key}", prefix="feed"),
                     title=e.title or e.link or e.key, text=e.content or e.summary,
                     source=e.link or f"feed item {e.key}", url=e.link, published=e.published,
                     author=e.author, site=parsed.title)
            for e in parsed.entries if e.content or e.summary]


FEED_TEXT = LONG.map(lambda s: re.sub("[\ud800-\udfff]", "", s))  # a feed is bytes: UTF-8 has no surrogates
ITEMS = st.lists(st.builds(Item, guid=FEED_TEXT, title=FEED_TEXT, link=FEED_TEXT.map(lambda s: "https://e.org/" + s),
                           published=st.just("2024-03-12"), summary=FEED_TEXT, content=FEED_TEXT),
                 min_size=1, max_size=4)


@FUZZ
@given(items=ITEMS, title=FEED_TEXT, form=st.sampled_from([rss, atom]))
def test_no_feed_item_past_any_limit_reaches_the_store(low_ingestor: Ingestor, items: list[Item], title: str, form) -> None:
    try:
        documents = feed_documents(form(title, items))
    except InputError:
        return  # not a feed at all (a drawn character broke the XML beyond feedparser's repair)
    report = low_ingestor.add_documents(documents)
    assert all(isinstance(e, InputError) for e in report.errors)
    assert_within_limits(low_ingestor)
