"""Shared helpers for the loader tests: run ``load_paths`` and build small PDFs by hand."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterable

import pytest

from index.records import Document
from rag.errors import InputError
from rag.loaders import load_paths
from builders import limits

Item = Document | InputError


@pytest.fixture
def load() -> Callable[..., list[Item]]:
    def run(*paths: Path | Iterable[Path], max_bytes: int = 1_000_000) -> list[Item]:
        flat: list[Path] = []
        for p in paths:
            flat.extend([p] if isinstance(p, Path) else p)
        return list(load_paths(flat, limits(file_bytes=max_bytes)))

    return run


@pytest.fixture
def load_one(load: Callable[..., list[Item]]) -> Callable[..., Item]:
    """Load a single file that must give exactly one item."""

    def run(path: Path, max_bytes: int = 1_000_000) -> Item:
        items = load(path, max_bytes=max_bytes)
        assert len(items) == 1, items
        return items[0]

    return run


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF with one Helvetica text line per string (no PDF library needed)."""
    objs: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ("<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))), len(pages))).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        ops += ["(%s) Tj T*" % line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        stream = "\n".join([*ops, "ET"]).encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    info = None
    if title is not None:
        objs.append(f"<< /Title ({title}) >>".encode())
        info = len(objs)
    return pdf_file(objs, info)


def pdf_file(objs: list[bytes], info: int | None = None) -> bytes:
    """The PDF file holding ``objs`` as objects 1, 2, ... (1 the catalog), with its xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.writelines(b"%010d 00000 n \n" % off for off in offsets)
    trailer = f"<< /Size {len(objs) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out.write(b"trailer\n%s\nstartxref\n%d\n%%%%EOF\n" % (trailer.encode(), xref))
    return out.getvalue()


@pytest.fixture(name="make_pdf")
def make_pdf_fixture() -> Callable[..., bytes]:
    return make_pdf
