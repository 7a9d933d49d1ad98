"""``.pdf`` files: the text layer via pypdf, and the ways a PDF can be unreadable."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError


def test_pages_are_joined_and_the_metadata_title_used(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "Annual Report.pdf"
    path.write_bytes(make_pdf([["Harbour traffic rose", "by 12 percent."], ["Page two (summary)"]], title="Port report"))
    doc = load_one(path)
    assert doc == Document(
        id="annual-report",
        title="Port report",
        text="Harbour traffic rose\nby 12 percent.\n\nPage two (summary)",
        source=str(path),
    )


def test_title_falls_back_to_the_first_line(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(make_pdf([["Harbour traffic rose", "body"]]))
    assert load_one(path).title == "Harbour traffic rose"


def _encrypt(data: bytes, user: str, owner: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_password_protected_pdf_is_an_error(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypt(make_pdf([["secret text"]]), user="pw", owner="owner"))
    assert str(load_one(path)) == f"{path}: PDF is password-protected: save an unprotected copy"


def test_pdf_encrypted_only_against_editing_still_loads(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "no-print.pdf"
    path.write_bytes(_encrypt(make_pdf([["open text"]]), user="", owner="owner"))
    assert load_one(path).text == "open text"


def test_pdf_without_text(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    assert str(load_one(path)) == f"{path}: PDF has no extractable text (a scanned PDF needs OCR first)"


def test_damaged_pdf(tmp_path: Path, load_one, make_pdf) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    err = load_one(path)
    assert isinstance(err, InputError) and str(err).startswith(f"{path}: cannot read the PDF: ")


def test_not_a_pdf_at_all(tmp_path: Path, load_one) -> None:
    path = tmp_path / "renamed.pdf"
    path.write_text("This is a text file with the wrong extension.")
    assert str(load_one(path)) == f"{path}: not a PDF file (no %PDF- header)"


def test_empty_and_too_big(tmp_path: Path, load_one, make_pdf) -> None:
    empty, big = tmp_path / "empty.pdf", tmp_path / "big.pdf"
    empty.write_bytes(b"")
    big.write_bytes(make_pdf([["x" * 50] * 40]))
    assert str(load_one(empty)) == f"{empty}: file is empty"
    assert "over the 1 KB limit" in str(load_one(big, max_bytes=1024))


def test_missing_pypdf_gives_an_install_hint(tmp_path: Path, load, make_pdf, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf([["text"]]))
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(ImportError, match="pip install pypdf"):
        load(path)
