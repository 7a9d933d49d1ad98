"""Check and repair the citations in a model's answer.

Every citation must point at evidence that was shown and that supports the sentence citing it.
Support is lexical: the share of the sentence's content words (rag.text) found in the evidence
span and its title; at SUPPORT or more, the evidence supports the sentence. When the question is
known, the words the answer adds to it (the name, number or place asked for) are judged first: a
sentence that restates the question around "Mark Meadows" is supported by the passage that
names Mark Meadows, not by one that merely shares the question's words. Only when no passage
holds those words is the whole sentence judged. A passage's text counts before its title: "Serena
Williams" is cited to the passage that says she was the guest, not to one whose headline names her
over a paragraph about something else, because a citation points the reader at a span of text.
Markers naming no shown passage are dropped; a marker whose passage supports its sentence less
well than another shown passage is moved to the passage that supports it best; a sentence without
a marker gets its best supporting passage; a sentence nothing supports is flagged unsupported.
Citations are renumbered in order of first use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Sequence

from rag.evidence import Evidence
from rag.markers import MARKER, marker_numbers, with_markers
from rag.question import Question
from rag.records import AnswerSentence, Citation
from rag.text import content_words, overlap, sentence_spans

SUPPORT = 0.5


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]


def support(sentence: str, evidence: Evidence) -> float:
    return overlap(content_words(sentence), _pool(evidence))


def _pool(evidence: Evidence) -> set[str]:
    return _with_title(_text_pool(evidence), evidence)


def _text_pool(evidence: Evidence) -> set[str]:
    return set(content_words(evidence.text))


def _with_title(text_pool: set[str], evidence: Evidence) -> set[str]:
    return text_pool | set(content_words(evidence.passage.title))


def check(raw: str, evidence: Sequence[Evidence], question: Question | None = None) -> CheckedAnswer:
    by_number = {ev.number: ev for ev in evidence}
    parts = _split(raw)
    if not evidence:  # nothing to cite: every sentence is unsupported
        sentences = tuple(AnswerSentence(text, (), False) for text, _ in parts)
        return CheckedAnswer(" ".join(s.text for s in sentences), sentences, ())
    if not parts:
        parts = [_fallback(evidence)]

    asked = set(question.words) if question is not None else set()
    text_pools = {ev.number: _text_pool(ev) for ev in evidence}
    pools = (text_pools, {ev.number: _with_title(text_pools[ev.number], ev) for ev in evidence})
    numbering: dict[int, int] = {}  # evidence number -> citation number
    cited_sentences: dict[int, list[int]] = {}
    sentences = []
    for index, (sentence, markers) in enumerate(parts):
        chosen = _choose(sentence, [by_number[m] for m in markers if m in by_number], evidence, pools, asked)
        numbers = []
        for ev in chosen:
            numbers.append(numbering.setdefault(ev.number, len(numbering) + 1))
            cited_sentences.setdefault(ev.number, []).append(index)
        sentences.append(AnswerSentence(sentence, tuple(numbers), bool(chosen)))
    citations = tuple(
        Citation(numbering[n], by_number[n].passage, by_number[n].start, by_number[n].end,
                 tuple(cited_sentences[n]))
        for n in sorted(numbering, key=numbering.get)
    )
    text = " ".join(with_markers(s.text, s.citations) for s in sentences)
    return CheckedAnswer(text, tuple(sentences), citations)


def _choose(sentence: str, marked: list[Evidence], evidence: Sequence[Evidence],
            pools: tuple[dict[int, set[str]], ...], asked: Collection[str]) -> list[Evidence]:
    """The marked evidence that supports the sentence best; else the best that does; else none.

    A marker stays when its passage supports the sentence as well as any shown passage does: the
    model often cites the passage that says "Harris" when the next one says "Joanne Harris".
    ``pools`` are each passage's words, text alone first, then text and title.
    """
    words = content_words(sentence)
    if not words:  # nothing to check ("Yes.", a bare number): trust the model's markers
        return marked
    novel = [w for w in words if w not in asked]
    # The answer's own words first, then (paraphrased answers) the whole sentence.
    levels = [(judged, pool) for judged in ([novel, words] if novel and len(novel) < len(words) else [words])
              for pool in pools]
    for judged, pool in levels:
        share = {ev.number: overlap(judged, pool[ev.number]) for ev in evidence}
        best = max(evidence, key=lambda ev: share[ev.number])
        if share[best.number] < SUPPORT:
            continue
        kept = [ev for ev in marked if share[ev.number] == share[best.number]]
        return list(dict.fromkeys(kept)) or [best]
    return []


def _split(raw: str) -> list[tuple[str, list[int]]]:
    """Answer sentences without markers, each with the marker numbers that followed it."""
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(raw.strip()):
        piece = raw.strip()[start:end]
        numbers = marker_numbers(piece)
        text = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", piece)).strip()
        if not re.search(r"\w", text):
            if out:  # a marker-only fragment ("... R&D. [1]") belongs to the sentence before it
                out[-1][1].extend(numbers)
            continue
        out.append((text, numbers))
    return out


def _fallback(evidence: Sequence[Evidence]) -> tuple[str, list[int]]:
    """When the model gave only markers, quote the strongest evidence instead of an empty answer."""
    best = evidence[0]
    return (f'According to "{best.passage.title}": {best.text}', [best.number])
