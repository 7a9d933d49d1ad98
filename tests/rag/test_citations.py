import pytest

from index.records import Passage
from rag.citations import check, support
from rag.evidence import Evidence
from rag.question import analyse


def ev(number: int, text: str, title: str = "A story") -> Evidence:
    return Evidence(number, Passage(number, f"doc{number}", title, text, 0, len(text)), 0, len(text), 1.0)


EVIDENCE = [
    ev(1, "Huawei, Alibaba Cloud, Baidu and Tencent are pooling R&D resources on AI chips."),
    ev(2, "Beijing is offering incentives for startups and universities."),
]


def test_valid_markers_are_kept_and_renumbered_by_first_use():
    out = check("Beijing is offering incentives to startups [2]. Huawei and Baidu pool R&D [1].", EVIDENCE)
    assert out.text == "Beijing is offering incentives to startups [1]. Huawei and Baidu pool R&D [2]."
    assert [c.passage.doc_id for c in out.citations] == ["doc2", "doc1"]
    assert all(s.supported for s in out.sentences)


def test_marker_pointing_at_nothing_is_removed_and_replaced_by_the_supporting_passage():
    out = check("Huawei and Tencent pool R&D resources [7].", EVIDENCE)
    assert out.text == "Huawei and Tencent pool R&D resources [1]."
    assert out.citations[0].passage.doc_id == "doc1"


def test_wrong_marker_is_moved_to_the_passage_that_supports_the_sentence():
    out = check("Beijing offers incentives to universities [1].", EVIDENCE)
    assert out.citations[0].passage.doc_id == "doc2"


def test_sentence_without_marker_gets_support_or_is_flagged():
    out = check("Alibaba Cloud is pooling R&D. The moon is made of cheese.", EVIDENCE)
    first, second = out.sentences
    assert first.citations == (1,) and first.supported
    assert second.citations == () and not second.supported


def test_bare_marker_answer_quotes_the_evidence_instead_of_being_empty():
    out = check("[1]", EVIDENCE)
    assert "Huawei" in out.text and out.citations


def test_without_evidence_every_sentence_is_unsupported():
    out = check("Huawei pools R&D [1].", [])
    assert out.citations == () and [s.supported for s in out.sentences] == [False]


def test_support_is_the_share_of_content_words_found():
    assert support("Huawei and Baidu pool chips", EVIDENCE[0]) >= 0.5
    assert support("Volcanoes erupted in Iceland", EVIDENCE[0]) == 0.0


HEARING = [
    ev(1, "Cassidy Hutchinson, a former special assistant to the chief of staff, testified before the committee."),
    ev(2, "Hutchinson worked for chief of staff Mark Meadows in the White House."),
]
QUESTION = "Cassidy Hutchinson was a former special assistant to which chief of staff?"


def test_a_marker_moves_to_the_passage_holding_the_answer_not_the_question():
    # Passage 1 shares most of the sentence's words, all of them taken from the question.
    answer = "Cassidy Hutchinson was a former special assistant to chief of staff Mark Meadows [1]."
    assert support(answer, HEARING[0]) >= 0.5
    out = check(answer, HEARING, analyse(QUESTION))
    assert [c.passage.doc_id for c in out.citations] == ["doc2"]
    assert out.sentences[0].supported


def test_without_the_question_the_whole_sentence_is_judged_as_before():
    out = check("Cassidy Hutchinson was a former special assistant to chief of staff Mark Meadows [1].", HEARING)
    assert [c.passage.doc_id for c in out.citations] == ["doc1"]


def test_a_paraphrased_answer_falls_back_to_the_whole_sentence():
    # "assisted" and "testimony" occur in no passage: the answer's own words support nothing,
    # so the sentence as a whole is judged and the model's marker stands.
    out = check("Cassidy Hutchinson assisted the chief of staff, per her testimony [1].", HEARING, analyse(QUESTION))
    assert [c.passage.doc_id for c in out.citations] == ["doc1"]
    assert out.sentences[0].supported


def test_a_marker_moves_to_the_passage_that_holds_the_whole_answer():
    shown = [
        ev(1, "The row erupted after Rowling tweeted. Harris said she opposed threats of any kind."),
        ev(2, "Rowling hit back at a tweet by Society of Authors chair Joanne Harris."),
    ]
    question = "Which fellow author did J. K. Rowling get in a Twitter row with?"
    assert support("Joanne Harris", shown[0]) == 0.5  # enough to support, but only half the name
    out = check("Joanne Harris [1].", shown, analyse(question))
    assert [c.passage.doc_id for c in out.citations] == ["doc2"]


@pytest.mark.parametrize("second, cited", [
    # The passage whose text says it wins over the one whose headline names it...
    ("Her first guest was Serena Williams, who spoke about ambition.", "doc2"),
    # ...and the headline still supports the answer when no passage's text does.
    ("The podcast is produced by Archewell Audio.", "doc1"),
])
def test_passage_text_counts_before_titles(second, cited):
    shown = [ev(1, "Archetypes episodes will be released weekly.", title="Meghan Markle, Serena Williams on ambition"),
             ev(2, second)]
    out = check("Serena Williams [1].", shown, analyse("Who was the first guest on the podcast?"))
    assert [c.passage.doc_id for c in out.citations] == [cited]
    assert out.sentences[0].supported


def test_markers_that_support_equally_well_all_stay():
    shown = [ev(1, "Joanne Harris chairs the Society of Authors."), ev(2, "Joanne Harris replied on Twitter.")]
    out = check("Joanne Harris [1][2].", shown, analyse("Who replied?"))
    assert [c.passage.doc_id for c in out.citations] == ["doc1", "doc2"]
