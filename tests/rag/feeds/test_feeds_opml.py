"""OPML subscription lists: nested folders, duplicates, and hostile or broken files."""
from __future__ import annotations

import pytest

from rag.errors import InputError
from rag.feeds.opml import read_opml


def write(tmp_path, text: str):
    path = tmp_path / "subs.opml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_outline_with_a_feed_url(tmp_path) -> None:
    path = write(tmp_path, """<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
<outline text="News"><outline type="rss" text="Harbour" xmlUrl="https://harbour.example/rss"/>
<outline type="rss" title="Tech" xmlUrl="https://tech.example/atom.xml"/></outline>
<outline type="rss" text="Again" xmlUrl="https://harbour.example/rss"/><outline text="no feed"/></body></opml>""")
    assert read_opml(path) == [("https://harbour.example/rss", "Harbour"), ("https://tech.example/atom.xml", "Tech")]


@pytest.mark.parametrize("text, problem", [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body><outline xmlUrl="&a;"/></body></opml>',
     "declares XML entities"),
    ("<opml><body><outline xmlUrl='x'></body>", "not well-formed XML"),
    ("<rss><channel/></rss>", "not an OPML file"),
    ("<opml><body><outline text='folder'/></body></opml>", "no feeds"),
])
def test_bad_files_name_the_file_and_problem(tmp_path, text, problem) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        read_opml(write(tmp_path, text))
    assert str(caught.value).startswith(str(tmp_path / "subs.opml"))
