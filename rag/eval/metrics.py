"""Score results against their questions: per question, then aggregated into one Metrics record.

Definitions (every rate is a fraction of the questions it can apply to; a missing or failed
result counts as wrong, as with the benchmark scorer):
- accuracy: the answer names the gold answer and no distractor (rag.eval.judge) and did not
  abstain; without distractors, it contains an accepted answer as whole words. Over questions
  with a gold answer.
- cited accuracy: accurate, and some passage the answer cites contains the gold answer text.
- citation precision: over every (answer sentence, citation it carries) pair, the share where the
  cited evidence span supports the sentence: rag.citations.support(sentence, span) >= SUPPORT,
  i.e. at least half the sentence's content words occur in the span or its article's title.
- citation coverage: share of answer sentences (in answers that did not abstain) with a citation.
- bare citation rate: share of non-abstaining answers that are only citation markers, like "[1]".
- abstain rate: over all questions.
- doc/text recall@k and MRR: a top-k retrieved passage comes from a gold article / contains the
  gold answer text; MRR averages 1/rank of the first such passage (0 when none was retrieved).
- latency p50/p95 (total and first token) over answered questions; tokens per second is decode
  speed: (tokens - 1) / (total - first token), summed over answers of two or more tokens.
- the first token's parts, p50 over the questions the model was asked: retrieval, evidence (from
  retrieval to the prompt being ready: declining checks, evidence windows, the prompt), and
  reading (from the prompt being ready to the first token: the model reads the prompt, then
  writes one token).
- wrong answers citing old news: answers that are not accurate, did not abstain, and cite an
  article published more than STALE_DAYS days before the question was asked; None when no result
  records its citations' dates (runs written before they were recorded) or no question is dated.
Not here: reading files or presenting the numbers.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from index.records import Passage, day_of
from rag.citations import SUPPORT, support
from rag.eval.judge import accurate, contains_gold
from rag.eval.questions import Question
from rag.evidence import Evidence
from rag.markers import MARKER

DEFAULT_KS = (1, 3, 5)
STALE_DAYS = 30  # a cited article this many days older than the question reports old news


@dataclass(frozen=True)
class Judged:
    """One question's result, judged. Rates are None where the question has no gold for them."""

    id: str
    answered: bool  # a result without an error exists
    correct: bool | None
    cited_correct: bool | None
    abstained: bool
    doc_rank: int | None  # 1-based rank of the first passage from a gold article
    text_rank: int | None  # 1-based rank of the first passage containing the gold answer
    has_doc_gold: bool
    pairs: int = 0  # (sentence, citation) pairs
    supported_pairs: int = 0
    sentences: int = 0
    cited_sentences: int = 0
    bare_citation: bool = False
    latency_s: float | None = None
    first_token_s: float | None = None
    tokens: int = 0
    cites_stale: bool | None = None  # cites an article over STALE_DAYS older than the question
    retrieval_s: float | None = None
    evidence_s: float | None = None
    reading_s: float | None = None  # prompt ready -> first token


@dataclass(frozen=True)
class Metrics:
    questions: int
    answered: int
    with_gold: int
    accuracy: float | None
    cited_accuracy: float | None
    abstain_rate: float | None
    citation_precision: float | None
    citation_coverage: float | None
    bare_citation_rate: float | None
    recall: Mapping[str, float | None]  # "doc_recall@5", "text_recall@5", ...
    doc_mrr: float | None
    text_mrr: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    first_token_p50_s: float | None
    first_token_p95_s: float | None
    tokens_per_s: float | None
    retrieval_p50_s: float | None = None
    evidence_p50_s: float | None = None
    reading_p50_s: float | None = None
    wrong_citing_stale: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Flat, ordered name -> value, rounded for reports."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "recall":
                out.update({k: _round(v) for k, v in value.items()})
            else:
                out[key] = _round(value)
        return out


def judge_result(q: Question, r: Mapping[str, Any] | None) -> Judged:
    if r is None or r.get("error"):
        return Judged(q.id, False, False if q.has_answer else None, False if q.has_answer else None,
                      False, None, None, bool(q.answer_doc_ids))
    answer = str(r.get("answer") or "")
    abstained = bool(r.get("abstained", False))
    correct = cited = None
    if q.has_answer:
        correct = accurate(answer, q.answers, q.distractors) and not abstained
        cited = correct and any(contains_gold(c.get("text"), q.answers) for c in r.get("citations", []))
    retrieved = r.get("retrieved", [])
    gold_docs = set(q.answer_doc_ids)
    doc_rank = _first(i for i, p in enumerate(retrieved, 1) if p.get("doc_id") in gold_docs)
    text_rank = (_first(i for i, p in enumerate(retrieved, 1) if contains_gold(p.get("text"), q.answers))
                 if q.has_answer else None)
    pairs = supported = sentences = cited_sentences = 0
    if not abstained:
        spans = {c.get("number"): c for c in r.get("citations", [])}
        for s in r.get("sentences", []):
            sentences += 1
            numbers = s.get("citations", [])
            cited_sentences += bool(numbers)
            for n in numbers:
                pairs += 1
                supported += n in spans and _supports(s.get("text", ""), spans[n])
    latency, first = r.get("latency_s"), r.get("first_token_s")
    parts = _first_token_parts(r.get("timings") or {})
    return Judged(
        q.id, True, correct, cited, abstained, doc_rank, text_rank, bool(gold_docs),
        pairs, supported, sentences, cited_sentences,
        bare_citation=not abstained and not re.search(r"\w", MARKER.sub("", answer)),
        latency_s=float(latency) if isinstance(latency, (int, float)) else None,
        first_token_s=float(first) if isinstance(first, (int, float)) else None,
        tokens=int(r.get("tokens") or 0),
        cites_stale=_cites_stale(q, r.get("citations", [])),
        retrieval_s=parts[0], evidence_s=parts[1], reading_s=parts[2],
    )


def compute(judged: Sequence[Judged], ks: Iterable[int] = DEFAULT_KS) -> Metrics:
    n = len(judged)
    gold = [j for j in judged if j.correct is not None]
    doc_gold = [j for j in judged if j.has_doc_gold]
    answered = [j for j in judged if j.answered]
    speaking = [j for j in answered if not j.abstained]
    recall: dict[str, float | None] = {}
    for k in sorted(set(ks)):
        recall[f"doc_recall@{k}"] = _rate(doc_gold, lambda j: j.doc_rank is not None and j.doc_rank <= k)
        recall[f"text_recall@{k}"] = _rate(gold, lambda j: j.text_rank is not None and j.text_rank <= k)
    pairs = sum(j.pairs for j in answered)
    sentences = sum(j.sentences for j in answered)
    latencies = [j.latency_s for j in answered if j.latency_s is not None]
    firsts = [j.first_token_s for j in answered if j.first_token_s is not None]
    decoding = [(j.tokens - 1, j.latency_s - j.first_token_s) for j in answered
                if j.tokens >= 2 and j.latency_s is not None and j.first_token_s is not None
                and j.latency_s > j.first_token_s]
    decode_s = sum(d for _, d in decoding)
    dated = [j for j in answered if j.cites_stale is not None]
    return Metrics(
        questions=n,
        answered=len(answered),
        with_gold=len(gold),
        accuracy=_rate(gold, lambda j: j.correct),
        cited_accuracy=_rate(gold, lambda j: j.cited_correct),
        abstain_rate=_rate(judged, lambda j: j.abstained),
        citation_precision=sum(j.supported_pairs for j in answered) / pairs if pairs else None,
        citation_coverage=sum(j.cited_sentences for j in answered) / sentences if sentences else None,
        bare_citation_rate=_rate(speaking, lambda j: j.bare_citation),
        recall=recall,
        doc_mrr=_mean([1 / j.doc_rank if j.doc_rank else 0.0 for j in doc_gold]),
        text_mrr=_mean([1 / j.text_rank if j.text_rank else 0.0 for j in gold]),
        latency_p50_s=_percentile(latencies, 50),
        latency_p95_s=_percentile(latencies, 95),
        first_token_p50_s=_percentile(firsts, 50),
        first_token_p95_s=_percentile(firsts, 95),
        tokens_per_s=sum(t for t, _ in decoding) / decode_s if decode_s > 0 else None,
        retrieval_p50_s=_percentile([j.retrieval_s for j in answered if j.retrieval_s is not None], 50),
        evidence_p50_s=_percentile([j.evidence_s for j in answered if j.evidence_s is not None], 50),
        reading_p50_s=_percentile([j.reading_s for j in answered if j.reading_s is not None], 50),
        wrong_citing_stale=(sum(j.correct is False and not j.abstained and bool(j.cites_stale) for j in answered)
                            if dated else None),
    )


def score(questions: Sequence[Question], results: Mapping[str, Mapping[str, Any]],
          ks: Iterable[int] = DEFAULT_KS) -> tuple[Metrics, list[Judged]]:
    """Judge every question against its result (missing ones count as wrong) and aggregate."""
    judged = [judge_result(q, results.get(q.id)) for q in questions]
    return compute(judged, ks), judged


def _supports(sentence: str, citation: Mapping[str, Any]) -> bool:
    text = str(citation.get("text") or "")
    start = int(citation.get("span_start") or 0)
    end = int(citation.get("span_end") if citation.get("span_end") is not None else len(text))
    passage = Passage(chunk_id=int(citation.get("chunk_id") or 0), doc_id=str(citation.get("doc_id") or ""),
                      title=str(citation.get("title") or ""), text=text, start=0, end=len(text))
    return support(sentence, Evidence(int(citation.get("number") or 0), passage, start, end, 0.0)) >= SUPPORT


def _cites_stale(q: Question, citations: Sequence[Mapping[str, Any]]) -> bool | None:
    """None when the question is undated or no citation records its article's date."""
    asked = day_of(q.asked_on)
    recorded = [day_of(c.get("published")) for c in citations if "published" in c]
    if asked is None or not recorded:
        return None
    return any(day is not None and (asked - day).days > STALE_DAYS for day in recorded)


def _first_token_parts(timings: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(retrieval, evidence, reading) seconds when the model was asked, else Nones."""
    retrieval, ready, first = (timings.get(k) for k in ("retrieval", "prompt_ready", "first_token"))
    if not all(isinstance(v, (int, float)) for v in (retrieval, ready, first)):
        return None, None, None
    return float(retrieval), float(ready) - float(retrieval), float(first) - float(ready)


def _first(ranks: Iterable[int]) -> int | None:
    return next(iter(ranks), None)


def _rate(items: Sequence[Judged], hit) -> float | None:
    return sum(bool(hit(j)) for j in items) / len(items) if items else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    # Linear interpolation: the 50th percentile is the median, as the scorer reports it.
    return float(np.percentile(values, q)) if values else None


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
