"""``.jsonl`` files: one document per line, per-line errors, streaming under a line limit."""
from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError
from rag.loaders import load_paths
from builders import limits


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_become_documents(tmp_path: Path, load) -> None:
    path = write_lines(
        tmp_path / "News Feed.jsonl",
        [
            {"id": "a1", "title": "Storm", "url": "https://e.com/a1", "published": "2023-11-08", "text": "Storm hits.\nMore."},
            "",
            "   ",
            {"text": "  First line of the body\nsecond line", "published": None, "extra": [1, 2]},
            {"id": 42, "text": "x" * 300},
        ],
    )
    docs = load(path)
    assert docs == [
        Document(id="a1", title="Storm", text="Storm hits.\nMore.", source=f"{path}:1", url="https://e.com/a1", published="2023-11-08"),
        Document(id="news-feed-8958257938ec", title="First line of the body", text="  First line of the body\nsecond line", source=f"{path}:4"),
        Document(id="42", title="x" * 120, text="x" * 300, source=f"{path}:5"),
    ]


def test_bom_and_crlf_are_accepted(tmp_path: Path, load) -> None:
    path = tmp_path / "w.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "one"}\r\n{"text": "two\\r\\nlines"}\r\n')
    assert [d.text for d in load(path)] == ["one", "two\nlines"]


BAD_LINES = [
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ("[1, 2]", "expected a JSON object, got an array"),
    ('"just a string"', "expected a JSON object, got a string"),
    ('{"title": "no text"}', "missing required field 'text'"),
    ('{"text": "  \\n "}', "'text' is empty"),
    ('{"text": 5}', "'text' must be a string, got a number"),
    ('{"text": "t", "title": ["x"]}', "'title' must be a string or null, got an array"),
    ('{"text": "t", "url": 3}', "'url' must be a string or null, got a number"),
    ('{"text": "t", "id": true}', "'id' must be a string or null, got a boolean"),
    ('{"text": "t", "published": 2023}', "'published' must be a string or null, got a number"),
    ('{"text": "t", "published": "Nov 8"}', "'published': 'Nov 8' is not an ISO date (YYYY-MM-DD, optionally with a time)"),
    ("[" * 100_000, "not valid JSON: RecursionError: maximum recursion depth exceeded"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_LINES, ids=[p[:30] for _, p in BAD_LINES])
def test_a_bad_line_is_reported_with_its_number_and_the_rest_loads(tmp_path: Path, load, line: str, problem: str) -> None:
    path = write_lines(tmp_path / "rows.jsonl", [{"text": "before"}, line, {"text": "after"}])
    before, err, after = load(path)
    assert isinstance(err, InputError)
    assert (err.path, err.line) == (str(path), 2)
    assert str(err).startswith(f"{path}:2: {problem}")
    assert (before.text, after.text) == ("before", "after")
    assert after.source == f"{path}:3"


def test_non_utf8_and_nul_lines(tmp_path: Path, load) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n' + b'x' * 9000 + b'\n{"text": "a\x00b"}\n{"text": "end"}\n')
    items = load(path)
    assert [str(i) if isinstance(i, InputError) else i.text for i in items] == [
        "ok",
        f"{path}:2: not valid UTF-8 (byte 0xE9): save it as UTF-8",
        f"{path}:3: not valid JSON: Expecting value (column 1)",
        f"{path}:4: contains NUL bytes (binary data)",
        "end",
    ]


def test_line_over_the_limit_is_skipped_alone(tmp_path: Path, load) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"text": "small"}) + "\n")
        f.write(json.dumps({"text": "y" * 3_000_000}) + "\n")
        f.write(json.dumps({"text": "z" * 900}) + "\n")
    small, err, last = load(path, max_bytes=1000)
    assert (small.text, last.text) == ("small", "z" * 900)
    assert str(err) == f"{path}:2: line is 2.9 MB, over the 1000 byte limit"


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path: Path, load, content: bytes) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(content)
    assert [str(i) for i in load(path)] == [f"{path}: file is empty"]


def test_binary_file_gives_one_error_not_one_per_line(tmp_path: Path, load) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"PK\x03\x04\x00\x00" + b"\n\x00garbage" * 100)
    assert [str(i) for i in load(path)] == [f"{path}: looks like a binary file (it contains NUL bytes)"]


def test_streams_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    row = json.dumps({"text": "word " * 4000}) + "\n"
    with path.open("w", encoding="utf-8") as f:
        for _ in range(1_000):  # ~20 MB
            f.write(row)
    tracemalloc.start()
    try:
        count = 0
        for item in load_paths([path], limits(file_bytes=1_000_000)):
            assert isinstance(item, Document)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1_000
    assert peak < 2_000_000, f"peak {peak} bytes while streaming a {path.stat().st_size} byte file"


def test_is_lazy(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "rows.jsonl", [{"text": "one"}, {"text": "two"}])
    items = load_paths([path], limits(file_bytes=1000))
    first = next(items)
    assert isinstance(first, Document) and first.text == "one"


def test_jsonl_rows_without_an_id_keep_their_id_when_the_file_is_reordered(tmp_path: Path, load) -> None:
    """Issue 12, finding 5: a default id is the row's URL or content, never its line number."""
    rows = [{"url": "https://e.com/x", "text": "Article X."}, {"text": "Article Y."}, {"id": "z", "text": "Z."}]
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    before = {d.text: d.id for d in load(path)}
    path.write_text(json.dumps({"text": "A new first line."}) + "\n" + "".join(json.dumps(r) + "\n" for r in rows[::-1]))
    after = {d.text: d.id for d in load(path)}
    assert {t: after[t] for t in before} == before
    assert before["Z."] == "z" and before["Article X."].startswith("feed-") and len(set(after.values())) == 4
    # The URL names the article: an edited text keeps its id.
    path.write_text(json.dumps({"url": "https://e.com/x", "text": "Article X, corrected."}) + "\n")
    assert [d.id for d in load(path)] == [before["Article X."]]


def test_jsonl_text_over_the_character_limit_is_an_error_for_that_line(tmp_path: Path) -> None:
    """Issue 12, finding 4, for JSONL: max_text_chars holds per line."""
    from rag.loaders import load_paths

    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x" * 500}) + "\n" + json.dumps({"id": "b", "text": "ok"}) + "\n")
    first, second = load_paths([path], limits(file_bytes=10_000, text_chars=100))
    assert isinstance(first, InputError) and first.line == 1 and "100-character limit" in first.problem
    assert second.id == "b"
