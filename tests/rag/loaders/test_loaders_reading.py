"""The shared helpers: sizes in messages, text normalisation, titles, slugs and dates."""
from __future__ import annotations

import pytest

from rag.loaders.cleaning import clean_line, first_line, humanise, normalise_text, parse_published, slugify, title_from_text
from rag.loaders.reading import MB, format_size, too_big


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0 bytes"), (1, "1 byte"), (300, "300 bytes"), (2048, "2 KB"), (1536, "1.5 KB"), (50 * MB, "50 MB"), (int(60.2 * MB), "60.2 MB")],
)
def test_format_size(n: int, shown: str) -> None:
    assert format_size(n) == shown


def test_too_big_message_matches_the_documented_form() -> None:
    err = too_big("a.txt", int(60.2 * MB), 50 * MB)
    assert str(err) == "a.txt: file is 60.2 MB, over the 50 MB limit"
    assert str(too_big("a.txt", 150, 100)) == "a.txt: file is 150 bytes, over the 100 byte limit"


def test_too_big_shows_exact_bytes_when_rounding_would_hide_the_difference() -> None:
    err = too_big("a.txt", 50 * MB + 10, 50 * MB)
    assert "52,428,810 bytes, over the 52,428,800 byte limit" in str(err)


def test_normalise_text_keeps_text_verbatim_apart_from_the_documented_changes() -> None:
    raw = "\n\n  Title\r\nline\x00 one \t\r\nta\tb\x07\x1b[0m\rold mac\fnext page\u2028x\n\n"
    assert normalise_text(raw) == "  Title\nline one\nta\tb[0m\nold mac\nnext page\nx"


def test_normalise_text_drops_lone_surrogates_and_c1_controls() -> None:
    out = normalise_text("a\ud800b\x9bc\x85d")
    assert out == "abc\nd"
    out.encode("utf-8")


def test_clean_line_collapses_whitespace() -> None:
    assert clean_line("  A\tsplit\n title\x00 ") == "A split title"


def test_title_from_text() -> None:
    assert title_from_text("\n\n## Big news \nbody") == "Big news"
    assert title_from_text("x" * 201 + "\nbody") is None
    assert title_from_text("#\nbody") is None
    assert title_from_text("***\nbody") is None
    assert title_from_text("") is None


def test_first_line_truncates() -> None:
    assert first_line("\n" + "w" * 300 + "\nrest", 120) == "w" * 120


@pytest.mark.parametrize(
    ("stem", "slug"),
    [("Hello World", "hello-world"), ("sag_aftra--strike__2023", "sag-aftra-strike-2023"), ("Café Crème", "cafe-creme"), ("--x--", "x")],
)
def test_slugify(stem: str, slug: str) -> None:
    assert slugify(stem) == slug


def test_slugify_falls_back_to_a_stable_hash_for_non_ascii_stems() -> None:
    slug = slugify("日本語")
    assert slug == slugify("日本語") and slug.startswith("doc-")
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert slugify("日本語") != slugify("中文")


def test_humanise() -> None:
    assert humanise("sag_aftra-strike-ends") == "Sag aftra strike ends"
    assert humanise("___") == "Untitled"


@pytest.mark.parametrize("value", ["2023-11-08", "2023-11-08T10:30", "2023-11-08 10:30:00", "2023-11-08T10:30:00Z", "2023-11-08T10:30:00.123+01:00"])
def test_parse_published_accepts_iso_dates(value: str) -> None:
    assert parse_published(f" {value} ") == value


@pytest.mark.parametrize("value", ["yesterday", "08/11/2023", "20231108", "2023-11-8", "2023-02-30", "2023-11-08T25:00", "2023-11-08garbage"])
def test_parse_published_rejects_others(value: str) -> None:
    with pytest.raises(ValueError, match="ISO date|calendar date"):
        parse_published(value)
