"""The benchmark's answer rule, on hand-made answers (rag.eval.judge)."""
from __future__ import annotations

import pytest

from rag.eval.judge import accurate, contains_gold, names_choices, norm, tokens


def test_norm_folds_case_quotes_punctuation_and_width():
    assert norm("  “Oppenheimer’s”  Film!! ") == " oppenheimers film "
    assert norm("ＡＢＣ-123") == " abc 123 "  # NFKC folds full-width letters
    assert norm(None) == "  "


def test_tokens_drop_stop_words():
    assert tokens("The Bank of England") == ["bank", "england"]


@pytest.mark.parametrize("answer, expected", [
    ("The Philippines shut its airspace [1].", True),
    ("Philippines", True),
    ("Indonesia", False),
    ("The Philippines and Indonesia both did.", False),  # names a distractor too
    ("The corpus does not cover this question.", False),
    ("", False),
])
def test_gold_named_and_no_distractor(answer, expected):
    assert accurate(answer, ["Philippines"], ["Indonesia", "Thailand", "Malaysia"]) is expected


def test_shared_tokens_between_choices_do_not_count():
    # "biden" belongs to every choice, so only "joe", "hunter", "jill" tell them apart.
    gold, distractors = ["Joe Biden"], ["Hunter Biden", "Jill Biden"]
    assert accurate("Joe Biden", gold, distractors)
    assert not accurate("Biden", gold, distractors)  # names no choice
    assert not accurate("President Biden's son Hunter", gold, distractors)
    assert names_choices("Hunter", ["Joe Biden", "Hunter Biden"]) == [False, True]


def test_a_third_of_own_tokens_is_enough():
    gold, distractors = ["The Supreme Court of India"], ["The High Court of Delhi"]
    assert accurate("the Supreme Court ruled", gold, distractors)  # 1 of 2 own tokens
    assert not accurate("a court ruled", gold, distractors)
    assert not accurate("the Delhi court ruled", gold, distractors)


def test_whole_choice_match_respects_word_boundaries():
    gold, distractors = ["$10 billion"], ["$35 billion", "$111 billion"]
    assert accurate("It cost about 10 billion dollars.", gold, distractors)
    assert not accurate("It cost $100 billion.", gold, distractors)


def test_stop_words_leave_the_distinctive_word():
    assert accurate("Bahamas", ["The Bahamas"], ["The Maldives"])


def test_any_accepted_answer_counts_with_distractors():
    assert accurate("Dommaraju won", ["Gukesh", "Gukesh Dommaraju"], ["Ding Liren"])
    assert not accurate("Ding Liren won", ["Gukesh", "Gukesh Dommaraju"], ["Ding Liren"])


def test_without_distractors_an_accepted_answer_must_appear_whole():
    assert accurate("It runs three times a week [1].", ["three times a week"])
    assert accurate("Gukesh D.", ["Gukesh Dommaraju", "Gukesh"])
    assert not accurate("three times", ["three times a week"])
    assert not accurate("anything", [])


def test_contains_gold_is_plain_substring_like_the_scorer():
    assert contains_gold("Tickets cost 100 euros", ["10"])  # no word boundary, as in score.py
    assert contains_gold("the IBERIAN lynx!", ["Iberian lynx"])
    assert not contains_gold("a lynx", ["Iberian lynx"])
    assert not contains_gold(None, ["x1"])
