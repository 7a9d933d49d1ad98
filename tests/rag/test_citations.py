from rag.citations import check, is_abstention, support
from rag.evidence import Evidence
from rag.records import Passage


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
    assert "Huawei" in out.text and out.citations and not out.abstained


def test_abstention_has_no_citations():
    out = check("The corpus does not cover this question.", EVIDENCE)
    assert out.abstained and out.citations == ()
    assert is_abstention("The passages do not mention the price.")
    assert not is_abstention("Huawei is pooling R&D.")


def test_support_is_the_share_of_content_words_found():
    assert support("Huawei and Baidu pool chips", EVIDENCE[0]) >= 0.5
    assert support("Volcanoes erupted in Iceland", EVIDENCE[0]) == 0.0
