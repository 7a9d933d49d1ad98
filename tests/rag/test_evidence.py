from datetime import date

from fakes import HashEmbedder
from index.records import Passage
from rag.evidence import current_span, is_current, select_evidence
from rag.question import analyse
from rag.timeexpr import TimeWindow

TEXT = ("The weather was mild on Monday. Officials met in the capital. "
        "Huawei and Baidu agreed to pool chip research. The deal covers five years. "
        "Shares rose slightly. Analysts were unsurprised.")


def test_picks_the_window_around_the_answer_sentence_within_budget():
    emb = HashEmbedder()
    q = "Which firms agreed to pool chip research?"
    passage = Passage(1, "d", "Deal", TEXT, 0, len(TEXT))
    (ev,) = select_evidence(analyse(q), emb.embed([q])[0], [passage], emb, budget_chars=120)
    assert "Huawei and Baidu agreed to pool chip research." in ev.text
    assert len(ev.text) <= 120 or ev.text.count(".") == 1
    assert TEXT[ev.start : ev.end] == ev.text


def test_budget_limits_the_total_and_numbers_follow_strength():
    emb = HashEmbedder()
    q = "chip research"
    passages = [Passage(i, f"d{i}", "t", TEXT if i == 2 else "Nothing relevant here at all. " * 10, 0, 300)
                for i in range(4)]
    evidence = select_evidence(analyse(q), emb.embed([q])[0], passages, emb, budget_chars=400)
    assert evidence[0].passage.doc_id == "d2"
    assert [e.number for e in evidence] == list(range(1, len(evidence) + 1))
    assert sum(len(e.text) for e in evidence) <= 400 + max(len(e.text) for e in evidence)


def test_a_heading_is_shown_with_the_text_under_it():
    emb = HashEmbedder()
    text = ("Analysts listed three risks.\n  3. Risk of Supply Bifurcation:\n"
            "    Rival chip standards would split suppliers into two camps. " + "Filler sentence here. " * 20)
    q = "What is the risk of supply bifurcation?"
    (ev,) = select_evidence(analyse(q), emb.embed([q])[0], [Passage(1, "d", "t", text, 0, len(text))], emb,
                            budget_chars=60)
    assert ev.text.startswith("3. Risk of Supply Bifurcation:") and ev.text.endswith("two camps.")


def _report(chunk_id: int, published: str | None, winner: str, lead: str = "") -> Passage:
    text = (f"{lead}The title race ended on Sunday. {winner} won the championship final. "
            "Fans filled the streets of the city afterwards.")
    return Passage(chunk_id, f"d{chunk_id}", "Final", text, 0, len(text), published=published)


def _shown(passages: list[Passage], as_of: date | None = date(2023, 6, 16)) -> list[str]:
    """The documents shown for the championship question, in order, as of ``as_of``."""
    emb = HashEmbedder()
    q = "Who won the championship final?"
    span = current_span(None, as_of) if as_of else None
    evidence = select_evidence(analyse(q), emb.embed([q])[0], passages, emb, budget_chars=600, current=span)
    assert [e.number for e in evidence] == list(range(1, len(evidence) + 1))
    return [e.passage.doc_id for e in evidence]


def test_with_an_as_of_day_the_current_report_comes_first_and_last_years_after_it():
    # Last year's report matches the question better (it repeats it), as background often does.
    old = _report(1, "2022-06-12", "Team Old", lead="Who won the championship final? ")
    new = _report(2, "2023-06-11", "Team New")
    assert _shown([old, new], as_of=None) == ["d1", "d2"]  # without a day the stronger match first
    assert _shown([old, new]) == ["d2", "d1"]
    # A year on, both are old: the scores decide again.
    assert _shown([old, new], as_of=date(2024, 9, 1)) == ["d1", "d2"]


def test_an_older_report_matching_the_question_less_well_than_a_current_one_is_left_out():
    # This year's report repeats the question, so it is the stronger match; last year's is not.
    new = _report(2, "2023-06-11", "Team New", lead="Who won the championship final? ")
    old = _report(1, "2022-06-12", "Team Old")
    assert _shown([old, new]) == ["d2"]
    # Without a current span both are shown.
    assert _shown([old, new], as_of=None) == ["d2", "d1"]
    # An undated note comes first (it may be current) but is not known to be: the old report stays.
    note = _report(3, None, "Team New", lead="Who won the championship final? ")
    assert _shown([old, note]) == ["d3", "d1"]


def test_an_undated_report_counts_as_current_and_a_report_after_the_day_too():
    span = current_span(None, date(2023, 6, 16))
    assert is_current(Passage(1, "d", "t", "x", 0, 1), span)
    assert is_current(Passage(1, "d", "t", "x", 0, 1, published="2023-06-20"), span)
    assert is_current(Passage(1, "d", "t", "x", 0, 1, published="2023-05-17"), span)
    assert not is_current(Passage(1, "d", "t", "x", 0, 1, published="2023-05-16"), span)


def test_a_named_window_is_current_with_the_month_before_its_end_and_nothing_after_it():
    week = TimeWindow(date(2023, 6, 10), date(2023, 6, 17), "this week")
    assert current_span(week, date(2023, 6, 16)) == (date(2023, 5, 17), date(2023, 6, 17))
    year = TimeWindow(date(2022, 1, 1), date(2023, 1, 1), "in 2022")
    assert current_span(year, date(2023, 6, 16)) == (date(2022, 1, 1), date(2023, 1, 1))
    in_2023 = Passage(1, "d", "t", "x", 0, 1, published="2023-03-01")
    assert not is_current(in_2023, current_span(year, date(2023, 6, 16)))


def test_a_window_already_shown_is_not_shown_twice_and_its_slot_goes_to_the_next():
    emb = HashEmbedder()
    q = "Which firms agreed to pool chip research?"
    heading = "Huawei and Baidu agreed to pool chip research."
    passages = [Passage(1, "d", "Deal", TEXT, 0, len(TEXT)),
                Passage(2, "d", "Deal", heading, len(TEXT), len(TEXT) + len(heading)),
                Passage(3, "e", "Other", "Tencent joined the chip research pool later.", 0, 44)]
    evidence = select_evidence(analyse(q), emb.embed([q])[0], passages, emb, budget_chars=2000)
    assert [e.passage.chunk_id for e in evidence] == [1, 3]
    assert [e.number for e in evidence] == [1, 2]
