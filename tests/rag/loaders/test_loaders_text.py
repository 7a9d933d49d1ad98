"""``.txt`` and ``.md`` files: text, titles, front matter and every file-level error."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError


def test_plain_text_file(tmp_path: Path, load_one) -> None:
    path = tmp_path / "City_Council-Vote.txt"
    path.write_text("Council approves budget\n\nThe council voted 7-2 on Tuesday.\n", encoding="utf-8")
    doc = load_one(path)
    assert doc == Document(
        id="city-council-vote",
        title="Council approves budget",
        text="Council approves budget\n\nThe council voted 7-2 on Tuesday.",
        source=str(path),
        url=None,
        published=None,
    )


def test_markdown_heading_becomes_the_title_and_stays_in_the_text(tmp_path: Path, load_one) -> None:
    path = tmp_path / "story.md"
    path.write_text("# Storm hits coast\n\nWinds of *120 km/h*.", encoding="utf-8")
    doc = load_one(path)
    assert doc.title == "Storm hits coast"
    assert doc.text == "# Storm hits coast\n\nWinds of *120 km/h*."


def test_long_first_line_falls_back_to_the_humanised_stem(tmp_path: Path, load_one) -> None:
    path = tmp_path / "my_long-story.txt"
    path.write_text("word " * 60 + "\nmore", encoding="utf-8")
    assert load_one(path).title == "My long story"


def test_bom_crlf_controls_and_trailing_whitespace_are_normalised(tmp_path: Path, load_one) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF8 + "Title  \r\n\r\ncol1\tcol2 \x07\r\nend\x1b \r\n\r\n".encode())
    assert load_one(path).text == "Title\n\ncol1\tcol2\nend"


def test_front_matter_sets_the_fields_and_is_not_in_the_text(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text(
        "---\n"
        "id: strike-2023\n"
        'title: "Strike ends: a deal"\n'
        "url: https://example.com/strike  # canonical\n"
        "source: Example Times\n"
        "date: 2023-11-08\n"
        "layout: post\n"
        "tags:\n"
        "  - labour\n"
        "- loose item\n"
        "# a comment\n"
        "---\n"
        "\n"
        "Actors return to work.\n",
        encoding="utf-8",
    )
    assert load_one(path) == Document(
        id="strike-2023",
        title="Strike ends: a deal",
        text="Actors return to work.",
        source="Example Times",
        url="https://example.com/strike",
        published="2023-11-08",
    )


def test_front_matter_published_wins_over_date_and_accepts_a_time(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ndate: 2020-01-01\npublished: '2023-11-08T09:30:00Z'\n---\nBody", encoding="utf-8")
    doc = load_one(path)
    assert doc.published == "2023-11-08T09:30:00Z"
    assert doc.id == "x" and doc.title == "Body" and doc.source == str(path)


def test_front_matter_with_crlf_line_endings(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"---\r\ntitle: T\r\n---\r\nBody\r\n")
    doc = load_one(path)
    assert (doc.title, doc.text) == ("T", "Body")


def test_bad_front_matter_date_names_its_line(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: T\ndate: last Tuesday\n---\nBody", encoding="utf-8")
    err = load_one(path)
    assert isinstance(err, InputError)
    assert (err.path, err.line) == (str(path), 3)
    assert str(err) == f"{path}:3: front matter date: 'last Tuesday' is not an ISO date (YYYY-MM-DD, optionally with a time)"


def test_impossible_front_matter_date_is_an_error(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\npublished: 2023-02-30\n---\nBody", encoding="utf-8")
    assert str(load_one(path)) == f"{path}:2: front matter published: '2023-02-30' is not a real calendar date"


def test_front_matter_line_without_a_colon_names_its_line(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: T\njust words\n---\nBody", encoding="utf-8")
    err = load_one(path)
    assert isinstance(err, InputError) and err.line == 3
    assert str(err) == f"{path}:3: front matter line is not 'key: value': 'just words'"


def test_unclosed_front_matter_is_kept_as_text(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nA rule, then text.\n", encoding="utf-8")
    doc = load_one(path)
    assert doc.text == "---\nA rule, then text." and doc.title == "X"


def test_front_matter_without_a_body_is_an_error(tmp_path: Path, load_one) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: T\n---\n\n  \n", encoding="utf-8")
    assert str(load_one(path)) == f"{path}: file has no text after its front matter"


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8 + b"\n \n", b"\x07\x08\n"])
def test_empty_file(tmp_path: Path, load_one, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert str(load_one(path)) == f"{path}: file is empty"


def test_binary_file(tmp_path: Path, load_one) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert str(load_one(path)) == f"{path}: looks like a binary file (it contains NUL bytes)"


def test_utf16_file_gets_a_specific_hint(tmp_path: Path, load_one) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Hello".encode("utf-16"))
    assert str(load_one(path)) == f"{path}: file is UTF-16, not UTF-8: save it as UTF-8"


def test_not_utf8_names_the_line_and_byte(tmp_path: Path, load_one) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Title\nsecond\nCaf\u00e9 au lait\n".encode("latin-1"))
    err = load_one(path)
    assert isinstance(err, InputError) and err.line == 3
    assert str(err) == f"{path}:3: not valid UTF-8 (byte 0xE9): save it as UTF-8"


def test_file_over_the_limit(tmp_path: Path, load_one) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2100, encoding="utf-8")
    assert str(load_one(path, max_bytes=1024)) == f"{path}: file is 2.1 KB, over the 1 KB limit"
    assert isinstance(load_one(path, max_bytes=2100), Document)  # the limit itself is allowed


def test_permission_denied(tmp_path: Path, load_one, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text", encoding="utf-8")
    real_open = Path.open

    def refuse(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    # chmod cannot stop root (the CI user in containers), so the refusal is simulated
    monkeypatch.setattr(Path, "open", refuse)
    assert str(load_one(path)) == f"{path}: permission denied: cannot read the file"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_permission_denied_for_real(tmp_path: Path, load_one) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text", encoding="utf-8")
    path.chmod(0)
    try:
        assert "permission denied" in str(load_one(path))
    finally:
        path.chmod(0o644)
