"""``load_paths``: walking folders, naming bad paths, and one bad input never stopping a batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError
from rag.loaders import SUPPORTED_SUFFIXES, load_paths
from builders import limits

REPO = Path(__file__).resolve().parents[3]


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".htm", ".html", ".jsonl", ".md", ".pdf", ".txt")


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_unsupported(tmp_path: Path, load) -> None:
    for rel in ["b.txt", "a.md", "sub/c.TXT", "sub/deeper/d.txt", ".hidden.txt", ".git/e.txt", "notes.docx", "Makefile"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Text of {rel}\n")
    docs = load(tmp_path)
    assert all(isinstance(d, Document) for d in docs), docs
    assert [Path(d.source).relative_to(tmp_path).as_posix() for d in docs] == ["a.md", "b.txt", "sub/c.TXT", "sub/deeper/d.txt"]


def test_explicit_unsupported_and_missing_paths_are_errors(tmp_path: Path, load) -> None:
    docx = tmp_path / "notes.docx"
    docx.write_bytes(b"PK")
    bare = tmp_path / "README"
    bare.write_text("x")
    missing = tmp_path / "gone.txt"
    items = load(docx, bare, missing)
    supported = ".htm, .html, .jsonl, .md, .pdf, .txt"
    assert [str(i) for i in items] == [
        f"{docx}: unsupported file type '.docx'; supported: {supported}",
        f"{bare}: unsupported file type '(no extension)'; supported: {supported}",
        f"{missing}: no such file or folder",
    ]


def test_explicit_hidden_file_is_read(tmp_path: Path, load_one) -> None:
    path = tmp_path / ".draft.txt"
    path.write_text("Draft\n")
    assert load_one(path).text == "Draft"


def test_a_file_reached_twice_is_read_once(tmp_path: Path, load) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Once\n")
    assert len(load(path, tmp_path, tmp_path / "." / "a.txt")) == 1


def test_one_bad_file_and_one_bad_line_do_not_stop_the_others(tmp_path: Path, load, make_pdf) -> None:
    (tmp_path / "1-good.txt").write_text("Good text\n")
    (tmp_path / "2-bad.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "3-rows.jsonl").write_text(
        json.dumps({"id": "r1", "text": "Row one"}) + "\n{broken\n" + json.dumps({"id": "r3", "text": "Row three"}) + "\n"
    )
    (tmp_path / "4-page.html").write_text("<html><body><p>An article paragraph long enough to extract.</p></body></html>")
    (tmp_path / "5-doc.pdf").write_bytes(make_pdf([["PDF text"]]))
    (tmp_path / "6-empty.md").write_text("")
    items = load(tmp_path, tmp_path / "missing.md")
    summary = [(type(i).__name__, i.id if isinstance(i, Document) else (Path(i.path).name, i.line)) for i in items]
    assert summary == [
        ("Document", "1-good"),
        ("InputError", ("2-bad.txt", 1)),
        ("Document", "r1"),
        ("InputError", ("3-rows.jsonl", 2)),
        ("Document", "r3"),
        ("Document", "4-page"),
        ("Document", "5-doc"),
        ("InputError", ("6-empty.md", None)),
        ("InputError", ("missing.md", None)),
    ]


def test_fifo_is_refused_without_blocking(tmp_path: Path, load) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    rows = tmp_path / "pipe.jsonl"
    os.mkfifo(rows)
    assert [str(i) for i in load(fifo, rows)] == [f"{fifo}: not a regular file", f"{rows}: not a regular file"]


def test_symlink_loop_does_not_hang(tmp_path: Path, load) -> None:
    (tmp_path / "a.txt").write_text("Text\n")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert [d.id for d in load(tmp_path)] == ["a"]


def test_unlistable_folder_is_an_error(tmp_path: Path, load, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def refuse(path):  # type: ignore[no-untyped-def]
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    assert [str(i) for i in load(tmp_path)] == [f"{locked}: cannot list the folder: Permission denied"]


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        limits(file_bytes=0)


def test_importing_does_no_work() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); import rag.loaders; "
        "print(sorted(m for m in ('trafilatura', 'pypdf', 'lxml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
