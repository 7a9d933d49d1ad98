"""Typed records of an answer: the sentences, the citations and the answer itself.

Plain frozen dataclasses with no behaviour beyond small derived properties. The records the store
holds (documents, chunks, passages) are in ``index.records``; checking, generation and
presentation live in their own modules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from index.records import Passage
from rag.timeexpr import TimeWindow


@dataclass(frozen=True)
class Citation:
    """A numbered source an answer cites.

    ``span_start``/``span_end`` locate, inside ``passage.text``, the sentences shown to the model
    (and so the exact evidence); ``sentences`` are the indexes of the answer sentences citing it.
    """

    number: int
    passage: Passage
    span_start: int
    span_end: int
    sentences: tuple[int, ...] = ()

    @property
    def span(self) -> str:
        return self.passage.text[self.span_start : self.span_end]


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the final answer with the citation numbers that support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool


@dataclass(frozen=True)
class Answer:
    """The result of asking one question.

    ``abstained`` is True when newsrag said the corpus does not cover the question.
    ``timings`` holds seconds for ``retrieval``, ``first_token`` and ``total``. ``window`` is the
    publication window retrieval preferred (the question's "this week"), None when it preferred none.
    ``form`` is "answer" for the model's answer, "brief" or "timeline" when the question asked for
    one (rag.stories.intent): its sentences are then the stories' and articles' own, cited.
    """

    question: str
    text: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    timings: dict[str, float] = field(default_factory=dict)
    tokens: int = 0
    model: str = ""
    window: TimeWindow | None = None
    form: str = "answer"
