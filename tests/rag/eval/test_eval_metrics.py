"""Aggregated metrics on hand-made results (rag.eval.metrics)."""
from __future__ import annotations

import pytest

from rag.eval.metrics import compute, judge_result, score
from rag.eval.questions import Question

Q1 = Question("1", "Which animal?", ("Iberian lynx",), ("Red wolf",), ("lynx-doc",))
Q2 = Question("2", "Which town?", ("Grindavik",), ("Vik",), ("volcano-doc",))
Q3 = Question("3", "Who won?", ("Gukesh",), (), ("chess-doc",))
Q4 = Question("4", "What did they see?")  # no gold at all

SPAN = "The Iberian lynx is no longer endangered, the IUCN said."


def passage(doc_id: str, text: str) -> dict:
    return {"doc_id": doc_id, "chunk_id": 1, "text": text}


def result(qid: str, answer: str, retrieved: list[dict], *, citations=(), sentences=(), abstained=False,
           latency=2.0, first=1.0, tokens=11) -> dict:
    return {"id": qid, "answer": answer, "abstained": abstained, "citations": list(citations),
            "sentences": list(sentences), "retrieved": retrieved, "latency_s": latency,
            "first_token_s": first, "tokens": tokens}


def cite(number: int, text: str, title: str = "", start: int = 0, end: int | None = None) -> dict:
    return {"number": number, "doc_id": "d", "chunk_id": number, "title": title, "text": text,
            "span_start": start, "span_end": len(text) if end is None else end}


def test_mrr_and_recall_by_document_and_by_text():
    results = {
        "1": result("1", "x", [passage("lynx-doc", "the Iberian lynx"), passage("z", "")]),  # rank 1 both
        "2": result("2", "x", [passage("a", ""), passage("b", "Grindavik"), passage("volcano-doc", "")]),
        "3": result("3", "x", [passage("a", ""), passage("b", "")]),  # never
    }
    m, judged = score([Q1, Q2, Q3], results, ks=(1, 2, 3))
    assert [j.doc_rank for j in judged] == [1, 3, None]
    assert [j.text_rank for j in judged] == [1, 2, None]
    assert m.doc_mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m.text_mrr == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert m.recall["doc_recall@1"] == pytest.approx(1 / 3)
    assert m.recall["doc_recall@2"] == pytest.approx(1 / 3)
    assert m.recall["doc_recall@3"] == pytest.approx(2 / 3)
    assert m.recall["text_recall@2"] == pytest.approx(2 / 3)


def test_accuracy_counts_missing_and_failed_results_as_wrong_and_skips_questions_without_gold():
    results = {
        "1": result("1", "The Iberian lynx [1].", [], citations=[cite(1, SPAN)]),
        "2": {"id": "2", "answer": "", "error": "ModelError: boom", "latency_s": None},
        "4": result("4", "A whale.", []),
    }
    m, judged = score([Q1, Q2, Q3, Q4], results)
    assert [j.correct for j in judged] == [True, False, False, None]
    assert m.with_gold == 3 and m.answered == 2 and m.questions == 4
    assert m.accuracy == pytest.approx(1 / 3)
    assert m.cited_accuracy == pytest.approx(1 / 3)


def test_abstaining_is_never_accurate_and_cited_accuracy_needs_the_gold_in_a_cited_passage():
    right_uncited = result("1", "The Iberian lynx.", [], citations=[cite(1, "Wolves are thriving.")])
    abstained = result("2", "Grindavik, but I abstain", [], abstained=True)
    m, judged = score([Q1, Q2], {"1": right_uncited, "2": abstained})
    assert judged[0].correct and not judged[0].cited_correct
    assert judged[1].correct is False
    assert m.abstain_rate == 0.5 and m.cited_accuracy == 0.0


def test_citation_precision_judges_each_sentence_against_the_span_it_cites():
    passage_text = "Wolves are thriving in Spain. " + SPAN
    start = passage_text.index("The Iberian")
    r = result("1", "...", [], citations=[
        cite(1, passage_text, start=start),  # span: the lynx sentence only
        cite(2, "Wolves are thriving in Spain."),
    ], sentences=[
        {"text": "The Iberian lynx is no longer endangered.", "citations": [1, 2]},  # [1] yes, [2] no
        {"text": "Wolves are thriving in Spain.", "citations": [1]},  # outside the span: no
        {"text": "Conservation worked.", "citations": []},
    ])
    j = judge_result(Q1, r)
    assert (j.pairs, j.supported_pairs, j.sentences, j.cited_sentences) == (3, 1, 3, 2)
    m = compute([j])
    assert m.citation_precision == pytest.approx(1 / 3)
    assert m.citation_coverage == pytest.approx(2 / 3)


def test_title_counts_as_support_and_unknown_citation_numbers_do_not():
    r = result("1", "...", [], citations=[cite(1, "It is off the list.", title="Iberian lynx no longer endangered")],
               sentences=[{"text": "The Iberian lynx is no longer endangered.", "citations": [1, 7]}])
    j = judge_result(Q1, r)
    assert (j.pairs, j.supported_pairs) == (2, 1)


def test_bare_citation_answers_and_abstentions_are_counted_apart():
    judged = [judge_result(Q1, result("1", "[1]", [])),
              judge_result(Q2, result("2", "Grindavik [1]", [])),
              judge_result(Q3, result("3", "The corpus does not cover this question.", [], abstained=True))]
    m = compute(judged)
    assert [j.bare_citation for j in judged] == [True, False, False]
    assert m.bare_citation_rate == 0.5  # of the two answers that did not abstain
    assert m.abstain_rate == pytest.approx(1 / 3)


def test_latency_percentiles_and_decode_speed():
    judged = [judge_result(Q1, result("1", "a", [], latency=1.0, first=0.5, tokens=6)),
              judge_result(Q2, result("2", "b", [], latency=3.0, first=1.0, tokens=21)),
              judge_result(Q3, result("3", "c", [], latency=5.0, first=1.5, tokens=1))]
    m = compute(judged)
    assert m.latency_p50_s == 3.0 and m.first_token_p50_s == 1.0
    assert m.latency_p95_s == pytest.approx(4.8)
    # (6-1 + 21-1) tokens over (0.5 + 2.0) s of decoding; the one-token answer has no decode time.
    assert m.tokens_per_s == pytest.approx(25 / 2.5)


def test_no_results_at_all_gives_empty_rates_not_errors():
    m = compute([])
    assert m.accuracy is None and m.latency_p50_s is None and m.tokens_per_s is None
    d = m.as_dict()
    assert d["questions"] == 0 and "doc_recall@5" in d


def test_wrong_answers_citing_an_article_over_30_days_older_than_the_question_are_counted():
    asked = "2023-03-31"
    q_wrong_old = Question("1", "Who?", ("Gukesh",), (), (), asked)
    q_wrong_recent = Question("2", "Who?", ("Gukesh",), (), (), asked)
    q_right_old = Question("3", "Who?", ("Gukesh",), (), (), asked)
    q_wrong_30 = Question("4", "Who?", ("Gukesh",), (), (), asked)

    def dated(days_text: str) -> dict:
        return {**cite(1, "Ding Liren"), "published": days_text}

    judged = [
        judge_result(q_wrong_old, result("1", "Ding Liren", [], citations=[dated("2023-02-28")])),  # 31 days
        judge_result(q_wrong_recent, result("2", "Ding Liren", [], citations=[dated("2023-03-20")])),
        judge_result(q_right_old, result("3", "Gukesh", [], citations=[dated("2021-01-01")])),
        judge_result(q_wrong_30, result("4", "Ding Liren", [], citations=[dated("2023-03-01")])),  # 30 days
    ]
    assert [j.cites_stale for j in judged] == [True, False, True, False]
    assert compute(judged).wrong_citing_stale == 1


def test_runs_that_recorded_no_citation_dates_give_no_stale_count():
    q = Question("1", "Who?", ("Gukesh",), (), (), "2023-03-31")
    judged = [judge_result(q, result("1", "Ding Liren", [], citations=[cite(1, "Ding Liren")]))]
    assert judged[0].cites_stale is None and compute(judged).wrong_citing_stale is None


def test_first_token_breakdown_from_the_pipeline_timings():
    timed = {**result("1", "a", []), "timings": {"retrieval": 0.5, "prompt_ready": 0.75, "first_token": 3.0}}
    declined = {**result("2", "b", []), "timings": {"retrieval": 0.25, "first_token": 0.25, "total": 0.25}}
    judged = [judge_result(Q1, timed), judge_result(Q2, declined)]
    assert (judged[0].retrieval_s, judged[0].evidence_s, judged[0].reading_s) == (0.5, 0.25, 2.25)
    assert (judged[1].retrieval_s, judged[1].evidence_s, judged[1].reading_s) == (None, None, None)
    m = compute(judged)
    assert (m.retrieval_p50_s, m.evidence_p50_s, m.reading_p50_s) == (0.5, 0.25, 2.25)
