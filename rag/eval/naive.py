"""The naive RAG baseline, for measuring what the real pipeline gains over it.

It is the textbook pipeline the project set out to beat: the question's top-k passages (dense
retrieval over 1000/150 recursive chunks by default; see rag.eval.benchmark) go whole into a
plain "answer from the passages and cite them" prompt, and the reply is taken as written. There
is no evidence selection, no abstention threshold and no citation repair: markers are only read
back (a marker naming no passage is ignored) and each citation's span is its whole passage.
It reuses the app's retriever and generator, so only the method differs from a normal run. The
model's special tokens are still neutralised (rag.quoting): that is safety, not method.
"""
from __future__ import annotations

import re
import time
from typing import Collection, Iterator

from index.records import Passage
from rag.abstention import model_declined
from rag.generation import Generator
from rag.markers import MARKER, marker_numbers
from rag.quoting import neutralise_tokens
from rag.records import Answer, AnswerSentence, Citation
from rag.retrieval import Retriever
from rag.text import sentence_spans

SYSTEM = "Answer the question using the passages below, and cite the passages you use by their number, like [1]."


class NaivePipeline:
    """Same interface as rag.pipeline.Pipeline.stream: answer tokens, then one Answer."""

    def __init__(self, retriever: Retriever, generator: Generator, *, top_k: int,
                 mode: str) -> None:
        self.retriever = retriever
        self.generator = generator
        self.top_k = top_k
        self.mode = mode

    def stream(self, question: str, history=(), **_ignored) -> Iterator[str | Answer]:
        """Answer ``question``. Other options (``as_of``, ...) are accepted and ignored: the
        baseline knows nothing of dates, follow-ups or per-question settings."""
        started = time.perf_counter()
        passages = self.retriever.retrieve(question, top_k=self.top_k, mode=self.mode)
        timings = {"retrieval": time.perf_counter() - started}
        pieces: list[str] = []
        for piece in self.generator.stream(messages(question, passages, self.generator.special_tokens())):
            if not pieces:
                timings["first_token"] = time.perf_counter() - started
            pieces.append(piece)
            yield piece
        timings.setdefault("first_token", time.perf_counter() - started)
        text = "".join(pieces).strip()
        sentences, citations = read_citations(text, passages)
        timings["total"] = time.perf_counter() - started
        yield Answer(question, text, sentences, citations, tuple(passages), model_declined(text),
                     timings, len(pieces), self.generator.name)


def messages(question: str, passages: list[Passage], special: Collection[str] = ()) -> list[dict[str, str]]:
    blocks = [f"[{n}] {p.title}\n{p.text}" for n, p in enumerate(passages, start=1)]
    user = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question.strip()}"
    user = neutralise_tokens(user, special)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def read_citations(text: str, passages: list[Passage]) -> tuple[tuple[AnswerSentence, ...], tuple[Citation, ...]]:
    """Sentences with the markers the model put after them, and one citation per cited passage.

    ``supported`` is left True: the baseline does not judge support (the metrics do).
    """
    sentences: list[AnswerSentence] = []
    cited: dict[int, list[int]] = {}
    for start, end in sentence_spans(text):
        piece = text[start:end]
        numbers = list(dict.fromkeys(n for n in marker_numbers(piece) if 1 <= n <= len(passages)))
        body = MARKER.sub("", piece).strip()
        if not re.search(r"\w", body):
            # A bare "[1]" has no sentence to attach to; it still cites its passage.
            for n in numbers:
                cited.setdefault(n, [])
            continue
        for n in numbers:
            cited.setdefault(n, []).append(len(sentences))
        sentences.append(AnswerSentence(body, tuple(numbers), True))
    citations = tuple(Citation(n, passages[n - 1], 0, len(passages[n - 1].text), tuple(cited[n]))
                      for n in sorted(cited))
    return tuple(sentences), citations
