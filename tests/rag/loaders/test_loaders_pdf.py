"""``.pdf`` files: the text layer via pypdf, and the ways a PDF can be unreadable."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from index.records import Document
from rag.errors import InputError
from tests.rag.loaders.conftest import pdf_file
from builders import limits


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


def bomb_pdf(pages: int, lines: int) -> bytes:
    """Every page draws the same Flate stream: a few KB that extract to pages * lines * 80 chars."""
    import zlib

    ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"] + ["(%s) Tj T*" % ("A" * 80)] * lines + ["ET"]
    stream = zlib.compress("\n".join(ops).encode("latin-1"), 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
             b"/Contents 4 0 R >>"] * pages
    return pdf_file(objs)


def test_pdf_decompression_bomb_is_stopped_at_the_text_limit(tmp_path: Path) -> None:
    """Issue 12, finding 4: pages sharing one Flate stream; max_file_mb sees only the small file."""
    from rag.loaders import load_paths

    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb_pdf(pages=100, lines=1000))  # 8 million characters of text
    assert path.stat().st_size < 20_000
    read: list[int] = []
    import pypdf

    real = pypdf.PageObject.extract_text
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pypdf.PageObject, "extract_text", lambda self, *a, **k: read.append(1) or real(self, *a, **k))
        (item,) = load_paths([path], limits(file_bytes=1_000_000, text_chars=100_000))
    assert isinstance(item, InputError) and item.path == str(path)
    assert "100,000-character limit" in item.problem and "max_text_chars" in item.problem
    assert len(read) <= 6  # stopped once past the limit, not after all 100 pages
    small = tmp_path / "small.pdf"
    small.write_bytes(bomb_pdf(pages=2, lines=10))
    (doc,) = load_paths([small], limits(file_bytes=1_000_000, text_chars=100_000))
    assert isinstance(doc, Document) and len(doc.text) >= 1600
