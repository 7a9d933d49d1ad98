"""Upload checks: safe names that stay in the upload folder, allowed types, the size limit."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.loaders import SUPPORTED_SUFFIXES
from rag.uploads import (ALLOWED_SUFFIXES, UploadRejected, safe_basename, store_upload, unique_names,
                        uploads_dir, validate_upload)

MB = 1024 * 1024


@pytest.mark.parametrize("name, expected", [
    ("article.md", "article.md"),
    ("../../evil.md", "evil.md"),
    ("..\\..\\windows\\evil.txt", "evil.txt"),
    ("/etc/cron.d/job.txt", "job.txt"),
    (".hidden.md", "hidden.md"),
    ("...md", "md"),
    ("-rf.txt", "rf.txt"),
    ("a\x00b\nc.md", "a_b_c.md"),
    ("<img src=x onerror=alert(1)>.md", "_img src_x onerror_alert_1__.md"),
    ("Новости дня.txt", "Новости дня.txt"),
    ("ｆｕｌｌｗｉｄｔｈ．ｍｄ", "fullwidth.md"),  # NFKC first: no look-alike dots or slashes
    ("a／b.md", "b.md"),
    ("trailing. ", "trailing"),
    ("..", ""),
    ("", ""),
])
def test_safe_basename(name: str, expected: str) -> None:
    assert safe_basename(name) == expected


def test_long_names_keep_their_suffix() -> None:
    name = safe_basename("x" * 300 + ".jsonl")
    assert len(name) <= 120 and name.endswith(".jsonl")


def test_allowed_suffixes_are_what_the_loaders_read() -> None:
    assert set(ALLOWED_SUFFIXES) == set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".html", ".htm", ".jsonl", ".pdf"}


@pytest.mark.parametrize("name", ["story.TXT", "a.md", "b.html", "c.htm", "d.jsonl", "e.pdf"])
def test_allowed_types_pass(name: str) -> None:
    assert validate_upload(name, 10, 1) == name


@pytest.mark.parametrize("name, why", [
    ("../../x", "unsupported file type '(no extension)'"),
    ("payload.exe", "unsupported file type '.exe'"),
    ("page.md.sh", "unsupported file type '.sh'"),
    ("..", "nothing usable"),
    ("", "nothing usable"),
    ("/", "nothing usable"),
])
def test_bad_names_and_types_are_refused(name: str, why: str) -> None:
    with pytest.raises(UploadRejected) as info:
        validate_upload(name, 10, 1)
    assert why in str(info.value)


def test_size_limit() -> None:
    assert validate_upload("a.md", 2 * MB, 2) == "a.md"
    with pytest.raises(UploadRejected, match=r"2 MB upload limit"):
        validate_upload("a.md", 2 * MB + 1, 2)


def test_traversal_name_is_stored_inside_the_upload_folder(tmp_path: Path) -> None:
    source = tmp_path / "incoming"
    source.write_text("hello")
    folder = uploads_dir(tmp_path / "data")
    target = store_upload(source, validate_upload("../../../escape.md", 5, 1), folder, MB)
    assert target == folder / "escape.md" and target.read_text() == "hello"
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "data" / "escape.md").exists()
    assert [p.name for p in folder.iterdir()] == ["escape.md"]  # no temporary file left behind


def test_store_refuses_an_unsafe_name_even_if_asked_directly(tmp_path: Path) -> None:
    source = tmp_path / "incoming"
    source.write_text("x")
    for name in ("../x.md", "a/b.md", "", ".."):
        with pytest.raises(UploadRejected):
            store_upload(source, name, tmp_path / "uploads", MB)


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (folder / "a.md").symlink_to(outside)
    source = tmp_path / "incoming"
    source.write_text("new")
    target = store_upload(source, "a.md", folder, MB)
    assert outside.read_text() == "keep me"
    assert not target.is_symlink() and target.read_text() == "new"


def test_size_is_checked_while_copying(tmp_path: Path) -> None:
    source = tmp_path / "big"
    source.write_bytes(b"x" * 2048)
    with pytest.raises(UploadRejected, match="upload limit"):
        store_upload(source, "big.txt", tmp_path / "uploads", 1024)
    assert os.listdir(tmp_path / "uploads") == []


def test_same_name_twice_in_one_batch() -> None:
    assert unique_names(["a.md", "A.md", "b.md", "a.md"]) == ["a.md", "A-2.md", "b.md", "a-3.md"]
