from index.records import Document
from rag.chunking import Chunker
from rag.headings import heading_lines, is_heading, join_headings, keep_with_text
from rag.text import sentence_spans

# An article written as a list, as trade newsletters write them: each point a heading of its own
# line, the point itself on the next.
LIST_ARTICLE = (
    "Port operators in Rotterdam and Antwerp published their outlook for the coming year.\n\n"
    "Main concerns for shippers:\n\n"
    "  1. Congestion at Inland Terminals:\n"
    "    Barge slots at river terminals are booked three weeks ahead, so containers wait on the quay.\n"
    "  2. Shortage of Qualified Crane Operators:\n"
    "    Both ports lack about four hundred operators, and training one takes eighteen months.\n"
    "  3. Rising Energy Costs:\n"
    "    Electricity for reefer containers costs twice what it did two years ago.\n\n"
    "Conclusion:\n"
    "The operators expect volumes to grow anyway."
)


def test_heading_lines_are_short_and_announce_text():
    for line in ("3. Risk of Global AI Bifurcation:", "Conclusion:", "## Outlook", "  • Strategic Sovereignty",
                 "2) Rising Energy Costs"):
        assert is_heading(line), line
    # a caption, subhead or sign-off of a news story is no heading here: it has no colon or number
    for line in ("3.", "", "The company said it would expand.", "• Beijing is offering incentives to startups.",
                 "Biden administration declares public health emergency", "LJ's Burgers & Ice Cream",
                 "A line that runs on " + "and on " * 20 + "without stopping:"):
        assert not is_heading(line), line


def test_a_heading_needs_text_after_it():
    assert [LIST_ARTICLE[s:e] for s, e in heading_lines(LIST_ARTICLE)][:2] == [
        "Main concerns for shippers:", "1. Congestion at Inland Terminals:"]
    assert heading_lines("Body text here.\nConclusion:") == []


def test_a_heading_and_the_sentence_under_it_are_one_span():
    spans = join_headings(LIST_ARTICLE, sentence_spans(LIST_ARTICLE))
    texts = [LIST_ARTICLE[s:e] for s, e in spans]
    assert texts[2].startswith("2. Shortage of Qualified Crane Operators:")
    assert texts[2].endswith("eighteen months.")
    assert not any(is_heading(t) for t in texts)
    assert texts[-1] == "Conclusion:\nThe operators expect volumes to grow anyway."


def test_no_chunk_but_the_last_ends_on_a_heading():
    doc = Document("ports", "Ports", LIST_ARTICLE)
    chunks = Chunker(170, 30).split(doc)
    assert len(chunks) > 3
    for chunk in chunks:
        assert LIST_ARTICLE[chunk.start : chunk.end] == chunk.text
    for chunk in chunks[:-1]:
        assert not is_heading(chunk.text.splitlines()[-1]), chunk.text
    # every point starts in the chunk that holds its heading
    for number in "123":
        heading = LIST_ARTICLE.index(f"{number}. ")
        point = LIST_ARTICLE.index("\n", heading) + 5
        assert any(c.start <= heading and point < c.end for c in chunks), number


def test_a_chunk_made_only_of_headings_is_left_alone():
    text = "Intro:\nPart one:\nThe text."
    assert keep_with_text(text, [(0, 6), (7, 26)]) == [(0, 6), (7, 26)]
