from fakes import HashEmbedder
from index.records import Passage
from rag.evidence import select_evidence
from rag.question import analyse

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
