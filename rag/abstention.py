"""Whether newsrag answers a question or declines, and what it says when it declines.

Every decision to decline is made here: rag.pipeline asks `before_generation` once the passages
are retrieved (a decline means the model is never called) and `after_generation` once the model
has replied; nothing else decides. The reasons, and what the user reads for each:

- NO_PASSAGES: nothing in the corpus matches at all. -> NOT_COVERED
- WEAK_EVIDENCE: the best passage's cosine similarity to the question is under ``min_evidence``.
  -> NOT_COVERED
- UNKNOWN_NAME: the question names something no chunk mentions in any of its forms (rag.names:
  "American" is found as "U.S.", "the Fed" as "Federal Reserve", "Britons" as "UK"), or a name
  whose words occur but never together and not in one retrieved passage ("the Zephyr Prize");
  unless the evidence covers the rest of the question, as when one retrieved passage holds more
  of the question's other names than there are unknown ones and three quarters of its words.
  A 1.5B model asked about a name no article has invents an answer.
  -> NOT_COVERED + " No article mentions Quillfield."
- MODEL_DECLINED: the model's reply says the passages do not answer (the prompt asks for
  NOT_COVERED; paraphrases such as "The passages do not mention..." count). -> the reply itself
- RESTATED: the reply to a which/who/what question only uses the question's own words ("The
  state that is legalizing jaywalking is."). -> NO_ANSWER
- HEADING_ONLY: the reply only names what a heading of a shown passage names (a line ending in a
  colon, "Risk of Global AI Bifurcation"), and no running text names it, while the answer is
  the text under it. -> HEADING_ONLY

Not here: how evidence is chosen (rag.evidence), or checking citations (rag.citations).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from index.records import Passage
from rag.evidence import Evidence
from rag.headings import is_heading
from rag.markers import without_markers
from rag.names import CALENDAR, forms, occurs_in, tokens
from rag.question import Question
from rag.text import content_words, overlap

NOT_COVERED = "The corpus does not cover this question."
# The passages may hold the answer, unread: asking again in other words can help.
NO_ANSWER = "No answer found: the model only restated the question. Asking it another way may help."
HEADING_ONLY = ("No answer found: the model only repeated a heading of a passage, not the text "
                "under it. Asking it another way may help.")

NO_PASSAGES = "no passages"
WEAK_EVIDENCE = "weak evidence"
UNKNOWN_NAME = "unknown name"
MODEL_DECLINED = "model declined"
RESTATED = "restated"
REPEATED_HEADING = "heading only"

# Share of the question's other content words one passage must hold for an unknown name not to
# decline by itself.
COVERED = 0.75

_DECLINED = re.compile(
    r"(corpus|passages?|articles?|context|sources?) (do|does|did) not (cover|contain|mention|say|provide|include)"
    r"|\b(no|not enough) information\b|\bcannot (be )?(answer|determine)|\b(don't|do not) know\b"
    r"|\bnot (mentioned|specified|provided|stated)\b"
    # The fixed refusal with its subject swapped ("The UK did not cover this question.").
    r"|\bnot cover this question\b",
    re.IGNORECASE,
)
# A question that asks for something (not yes or no): the reply must name something new.
_ASKS_FOR = re.compile(r"\b(which|what|who|whom|whose|where|when|how)\b", re.IGNORECASE)
_YES_NO = re.compile(r"^\s*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b",
                     re.IGNORECASE)

# The forms, of those given, that no indexed chunk contains (Retriever.unknown_words).
UnknownWords = Callable[[Sequence[str]], list[str]]


@dataclass(frozen=True)
class Decline:
    """A decision not to answer: why, and the text the user reads instead of an answer."""

    reason: str
    text: str


def before_generation(question: Question, passages: Sequence[Passage], unknown_words: UnknownWords,
                      min_evidence: float) -> Decline | None:
    """Decline before the model is asked, or None to go on."""
    unknown = unknown_names(question, passages, unknown_words)
    if unknown:
        return Decline(UNKNOWN_NAME, f"{NOT_COVERED} No article mentions {', '.join(unknown)}.")
    if not passages:
        return Decline(NO_PASSAGES, NOT_COVERED)
    scores = [p.dense_score for p in passages if p.dense_score is not None]
    if scores and max(scores) < min_evidence:
        return Decline(WEAK_EVIDENCE, NOT_COVERED)
    return None


def after_generation(reply: str, question: Question, evidence: Sequence[Evidence]) -> Decline | None:
    """Decline once the model has replied (``reply`` as generated, markers and all), or None."""
    text = without_markers(reply)
    if model_declined(text):
        return Decline(MODEL_DECLINED, text)
    if restates(text, question):
        # Asked again, the 1.5B model repeats itself; saying so beats showing an empty answer.
        return Decline(RESTATED, NO_ANSWER)
    if repeats_heading(text, question, evidence):
        return Decline(REPEATED_HEADING, HEADING_ONLY)
    return None


def model_declined(text: str) -> bool:
    """Whether a model's reply says the passages do not answer the question."""
    return bool(_DECLINED.search(text))


def restates(answer: str, question: Question) -> bool:
    """True when ``answer`` to a wh-question uses only the question's own content words.

    "Which state is legalizing jaywalking?" answered "The state that is legalizing jaywalking is."
    or "Which country bans seafood from Japan?" answered "Japan" gives the asker nothing.
    """
    if not _ASKS_FOR.search(question.text) or _YES_NO.search(question.text):
        return False
    words = content_words(answer)
    asked = set(question.words)
    return bool(words) and all(w in asked for w in words)


def repeats_heading(answer: str, question: Question, evidence: Sequence[Evidence]) -> bool:
    """True when ``answer`` adds nothing to the question but what one heading names.

    Only headings that end in a colon count: they announce the text under them. A title line
    without one ("LJ's Burgers & Ice Cream" in a list of restaurants) may itself be the answer.
    What a heading names is its words together, in their order: when a line of running text
    names it too (the reply's words that the heading holds, one after another once stop words
    are set aside), the reply may come from that line and is an answer. "Jeff Saturday" is the
    heading "Jeff Saturday:" of an interview, and another passage says "they named Jeff Saturday
    ... as his interim replacement": an answer (declining it cost a right answer on rtqa-dev).
    "Risk of Global AI Bifurcation" is a heading whose words the sentence under it also uses,
    scattered ("the risk of incompatibility ... global collaboration"), but no sentence names the
    risk that way: the sentence states the risks, the heading only announces them.
    """
    words = content_words(answer)
    asked = set(question.words)
    new = {w for w in words if w not in asked}
    if not new:
        return False
    lines = [(line, content_words(line)) for ev in evidence for line in ev.text.splitlines()]
    running = [seen for line, seen in lines if not is_heading(line)]
    for line, seen in lines:
        heading = set(seen)
        if not (is_heading(line) and line.rstrip().endswith(":") and new <= heading):
            continue
        named = [w for w in words if w in heading]
        if not any(_holds_run(text, named) for text in running):
            return True
    return False


def _holds_run(words: Sequence[str], run: Sequence[str]) -> bool:
    """Whether ``run`` occurs in ``words`` as consecutive items."""
    n = len(run)
    return any(list(words[i : i + n]) == list(run) for i in range(len(words) - n + 1))


def unknown_names(question: Question, passages: Sequence[Passage], unknown_words: UnknownWords) -> list[str]:
    """The question's names that neither the corpus nor the evidence accounts for, in order."""
    found = question.names
    if not found:
        return []
    wanted = [f for name in found for part in [name, *_words_of(name)] for f in forms(part)]
    missing = set(unknown_words(list(dict.fromkeys(wanted))))

    def known(name: str) -> bool:
        return any(f not in missing for f in forms(name))

    pools = [tokens(f"{p.title}\n{p.text}") for p in passages]
    unknown: list[str] = []
    anchors: list[str] = []  # names the corpus has, which the evidence should hold too
    for name in found:
        if known(name):
            if name.lower() not in CALENDAR:
                anchors.append(name)
            continue
        words = _words_of(name)
        lost = [w for w in words if not known(w)]
        if words and not lost:
            # Every word occurs, never together ("Tanaru Indigenous Territory" against "Tanaru
            # indigenous land"): enough when one retrieved passage holds most of them.
            if any(2 * sum(_holds(pool, w) for w in words) > len(words) for pool in pools):
                continue
            lost = [name]
        unknown.extend(lost or [name])
    unknown = list(dict.fromkeys(unknown))
    if unknown and _otherwise_covered(question, unknown, anchors, passages, pools):
        return []
    return unknown


def _otherwise_covered(question: Question, unknown: list[str], anchors: list[str],
                       passages: Sequence[Passage], pools: list[list[str]]) -> bool:
    """Whether one passage holds more of the question's known names than there are unknown ones,
    and COVERED of its other words: then the unknown name is a detail, not the subject."""
    left_out = set(tokens(" ".join(unknown)))
    others = [w for w in question.words if w not in left_out]
    for passage, pool in zip(passages, pools):
        held = sum(_holds(pool, anchor) for anchor in anchors)
        if held > len(unknown) and overlap(others, f"{passage.title}\n{passage.text}") >= COVERED:
            return True
    return False


def _holds(pool: list[str], name: str) -> bool:
    return any(occurs_in(f, pool) for f in forms(name))


def _words_of(name: str) -> list[str]:
    """The words of a name of several words; [] for a one-word name."""
    words = name.split()
    return words if len(words) > 1 else []
