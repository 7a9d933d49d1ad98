"""A story's extractive summary: its headline and its most informative lead sentence, each citing
the articles it comes from.

News leads are written to summarise, so the summary is taken from them, never written: faithful by
construction and instant. The informative sentence is the first sentence of one of the story's
leads that names the most of what several of its outlets name (who, where: rag.names) that the
headline does not already say, per word: corroboration and new facts in the fewest words; the same
sentence carried by several outlets counts once and cites them all. Not here: ranking stories and
cutting a brief to its words (rag.stories.brief); a language model's summary (not done).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from index.stories import Story
from rag.text import sentence_spans

MAX_SENTENCE_WORDS = 40


@dataclass(frozen=True)
class Sentence:
    """One sentence of a summary or brief, with the documents that say it."""

    text: str
    doc_ids: tuple[str, ...]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def first_sentence(lead: str) -> str:
    spans = sentence_spans(lead)
    return " ".join(lead[spans[0][0]:spans[0][1]].split()) if spans else lead.strip()


# What sites append to their titles ("... - CNN", "... | Reuters") and a cut title's ellipsis.
_TITLE_TAIL = re.compile(r"(\s+[-|\u2013\u2014]\s+[^-|\u2013\u2014]{2,40}|\s*(\.\.\.|\u2026))\s*$")


def clean_title(title: str) -> str:
    """A title without its site's name or a trailing ellipsis (words a brief need not spend)."""
    title = " ".join(title.split())
    for _ in range(2):
        cut = _TITLE_TAIL.sub("", title)
        if len(cut.split()) < 3:
            break
        title = cut
    return title


def summarise(story: Story, sentences: int = 2) -> tuple[Sentence, ...]:
    """The headline, citing every article of the story (they all report it), and, when
    ``sentences`` is 2 and a lead adds something, the most informative lead sentence (citing the
    articles whose lead has it)."""
    out = [Sentence(_ended(clean_title(story.headline)), tuple(a.doc_id for a in story.articles))]
    if sentences < 2:
        return tuple(out)
    counts = Counter(n for a in story.articles for n in set(a.names))
    shared = {n for n, c in counts.items() if c >= 2} or set(counts)
    said = _norm(story.headline)
    best, best_score = None, 0.0
    for a in story.articles:
        sentence = first_sentence(a.lead)
        words = len(sentence.split())
        if not sentence or words > MAX_SENTENCE_WORDS:
            continue
        lowered = sentence.lower()
        new = [n for n in shared if n in lowered and n not in said]
        score = len(new) / (words ** 0.5)
        if score > best_score:
            best, best_score = sentence, score
    if best is not None:
        by = tuple(a.doc_id for a in story.articles if _norm(first_sentence(a.lead)) == _norm(best))
        out.append(Sentence(_ended(best), by))
    return tuple(out)


def _ended(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".!?\"'\u201d" else text + "."
