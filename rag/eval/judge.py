"""The answer rule of the news-QA benchmark, reimplemented so results score the same here.

The rule, as the benchmark's scorer documents it: text is normalised (NFKC, lower case, quotes
dropped, runs of non-alphanumerics become one space). For each choice (the gold answer and its
distractors) its "own" tokens are its content tokens that no other choice has. A choice is named
when the answer contains the whole normalised choice, or at least a third of its own tokens. An
answer is accurate when the gold choice is named and no distractor is. "Contains the gold text"
(for cited accuracy and recall by text) is plain containment of the normalised gold answer.

Not here: aggregating over questions (rag.eval.metrics) or knowing about results files.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from index.stopwords import SCORER

_QUOTES = re.compile("[\"'`\u2018\u2019\u201c\u201d]")
_NON_ALNUM = re.compile("[^0-9a-z\u00c0-\uffff]+")


def norm(text: str | None) -> str:
    """Normalised text padded with one space each side, so " x " tests whole-word containment."""
    lowered = unicodedata.normalize("NFKC", text or "").lower()
    return " " + _NON_ALNUM.sub(" ", _QUOTES.sub("", lowered)).strip() + " "


def tokens(text: str | None) -> list[str]:
    """Content tokens: normalised words minus the rule's stop words (index.stopwords.SCORER)."""
    return [t for t in norm(text).split() if t not in SCORER]


def names_choices(answer: str, choices: Sequence[str]) -> list[bool]:
    """For each choice, whether ``answer`` names it (whole choice, or a third of its own tokens)."""
    token_sets = [set(tokens(c)) for c in choices]
    answer_n = norm(answer)
    answer_tokens = set(tokens(answer))
    hits = []
    for i, choice in enumerate(choices):
        others = set().union(*(token_sets[:i] + token_sets[i + 1 :]))
        own = token_sets[i] - others
        whole = norm(choice)
        if whole.strip() and whole in answer_n:
            hits.append(True)
        elif not own:
            hits.append(False)
        else:
            hits.append(sum(t in answer_tokens for t in own) * 3 >= len(own))
    return hits


def accurate(answer: str, accepted: Sequence[str], distractors: Sequence[str] = ()) -> bool:
    """Whether ``answer`` is right.

    With distractors: the benchmark rule, tried with each accepted answer as the gold choice.
    Without: the answer contains some accepted answer as whole words (the rule's first test).
    """
    if not accepted:
        return False
    if distractors:
        for gold in accepted:
            hits = names_choices(answer, [gold, *distractors])
            if hits[0] and not any(hits[1:]):
                return True
        return False
    answer_n = norm(answer)
    return any(norm(a).strip() and norm(a) in answer_n for a in accepted)


def contains_gold(text: str | None, accepted: Sequence[str]) -> bool:
    """Whether ``text`` contains some accepted answer (normalised, plain substring)."""
    text_n = norm(text)
    return any(norm(a).strip() in text_n for a in accepted if norm(a).strip())
