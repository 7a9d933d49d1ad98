"""Answer one question: retrieve, pick evidence, generate, check citations.

`Pipeline.stream` yields answer tokens as the model writes them, then one final `Answer` with the
checked text, citations and timings, or one that declines: whether to answer is decided by
rag.abstention, before the model is called (weak evidence, a name no article mentions) and after
it replied (it said the corpus does not cover the question, or only restated the question or a
heading). Follow-up questions are searched together with the previous question, so "and what
does Beijing offer them?" finds the same story. A question that asks for a brief or a timeline
("What happened this week?", "How did X develop?": rag.stories.intent) is answered by one, from
the stories, when the pipeline has them and one matches. Not here: wiring models to settings
(rag.wiring), or presenting the answer (CLI, UI).
"""
from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Iterator, Sequence

from index.records import Passage
from rag.abstention import after_generation, before_generation
from rag.asof import as_of_day
from rag.citations import check
from rag.embedding import Embedder
from rag.errors import QuestionError
from rag.evidence import current_span, select_evidence
from rag.generation import Generator
from rag.prompt import build_messages
from rag.question import analyse
from rag.quoting import visible_passages
from rag.records import Answer, AnswerSentence
from rag.retrieval import Retriever
from rag.stories.answer import story_answer
from rag.stories.intent import story_question
from rag.stories.summary import EXTRACTIVE, Summariser
from rag.timeexpr import TimeWindow

if TYPE_CHECKING:
    from index.stories import StoryStore

TOPIC_PASSAGES = 10
History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first


def checked_question(question: str, max_chars: int) -> str:
    """The question without surrounding space; ``QuestionError`` if it is empty or too long."""
    question = (question or "").strip()
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question):,} characters long, over the limit of "
                            f"{max_chars:,} characters (max_question_chars)")
    return question


def _day(as_of: str | None) -> date:
    """The day a question is asked about: its as-of date, else today."""
    return as_of_day(as_of) or date.today()


class Pipeline:
    def __init__(self, retriever: Retriever, embedder: Embedder, generator: Generator, *,
                 min_evidence: float, context_chars: int, max_question_chars: int,
                 stories: StoryStore | None = None, summarise: Summariser = EXTRACTIVE) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.generator = generator
        self.min_evidence = min_evidence
        self.context_chars = context_chars
        self.max_question_chars = max_question_chars
        self.stories = stories
        self.summarise = summarise  # a brief's story summaries (rag.stories.summary or .written)

    def ask(self, question: str, history: History = (), **options) -> Answer:
        answer = None
        for item in self.stream(question, history, **options):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: History = (), *, top_k: int | None = None,
               mode: str | None = None, as_of: str | None = None) -> Iterator[str | Answer]:
        """Tokens as they are generated, then the checked `Answer`.

        ``as_of`` (ISO date) answers about the news as of that day (see `Retriever.retrieve`).
        """
        question = checked_question(question, self.max_question_chars)
        story = self._story_answer(question, as_of)
        if story is not None:
            yield story.text
            yield story
            return
        started = time.perf_counter()
        search_text = question if not history else f"{history[-1][0]} {question}"
        query_vector = self.embedder.embed([search_text])[0]
        # Analysed once: its words, names and window serve every step below.
        asked = analyse(question, search_text, self.retriever.time_window(search_text, as_of))
        passages = self.retriever.retrieve(search_text, top_k=top_k, mode=mode, query_vector=query_vector,
                                           as_of=as_of, prefer=asked.window)
        retrieved_at = time.perf_counter()
        timings = {"retrieval": retrieved_at - started}

        declined = before_generation(asked, passages, self.retriever.unknown_words, self.min_evidence)
        if declined is not None:
            timings["first_token"] = timings["total"] = time.perf_counter() - started
            yield declined.text
            yield self._abstention(question, declined.text, passages, timings, 0, asked.window)
            return

        special = self.generator.special_tokens()
        evidence = select_evidence(asked, query_vector, visible_passages(passages, special), self.embedder,
                                   self.context_chars, current=current_span(asked.window, _day(as_of)))
        messages = build_messages(question, evidence, history, special)
        timings["prompt_ready"] = time.perf_counter() - started
        pieces: list[str] = []
        tokens = iter(self.generator.stream(messages))
        try:
            for piece in tokens:
                if not pieces:
                    timings["first_token"] = time.perf_counter() - started
                pieces.append(piece)
                yield piece
        finally:
            # If our consumer stops early, release the model's lock now rather than at GC.
            close = getattr(tokens, "close", None)
            if close is not None:
                close()
        timings.setdefault("first_token", time.perf_counter() - started)
        reply = "".join(pieces)
        declined = after_generation(reply, asked, evidence)
        if declined is not None:
            timings["total"] = time.perf_counter() - started
            yield self._abstention(question, declined.text, passages, timings, len(pieces), asked.window)
            return
        checked = check(reply, evidence, asked)
        timings["total"] = time.perf_counter() - started
        yield Answer(question, checked.text, checked.sentences, checked.citations, tuple(passages),
                     False, timings, len(pieces), self.generator.name, asked.window)

    def _story_answer(self, question: str, as_of: str | None) -> Answer | None:
        """The brief or timeline the question asks for, or None (not asked for, or no story found)."""
        if self.stories is None:
            return None
        today = _day(as_of)
        asked = story_question(question, self.retriever.time_window(question, as_of), today)
        if asked is None:
            return None
        # The topic's stories are those of the articles retrieval ranks first for it.
        find = lambda topic: [p.doc_id for p in self.retriever.retrieve(topic, top_k=TOPIC_PASSAGES, prefer=None,
                                                                         as_of=as_of)]
        return story_answer(question, asked, self.stories, find, self.summarise)

    def _abstention(self, question: str, text: str, passages: Sequence[Passage], timings: dict[str, float],
                    tokens: int, window: TimeWindow | None) -> Answer:
        """An answer that declines: ``text`` alone, no citations, the retrieved passages kept."""
        return Answer(question, text, (AnswerSentence(text, (), True),), (), tuple(passages), True, timings,
                      tokens, self.generator.name, window)
