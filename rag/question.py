"""A question analysed once, into the record every stage of rag.pipeline reads.

`analyse` splits the question into its content words (rag.text) and finds its names (rag.names)
once; abstention, evidence selection and the citation check read them from the `Question` rather
than splitting the text again. ``search`` is what retrieval searches: a follow-up is searched
together with the question before it, and evidence is scored against the words of that text
(``search_words``). ``window`` is the publication window retrieval prefers
(`Retriever.time_window`), carried so the `Answer` can say which one it used.
Not here: any decision about the question (rag.abstention, rag.retrieval).
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.names import names
from rag.text import content_words
from rag.timeexpr import TimeWindow


@dataclass(frozen=True)
class Question:
    text: str
    search: str
    words: tuple[str, ...]  # content words of ``text``, in order, repeats kept
    search_words: tuple[str, ...]  # content words of ``search``
    names: tuple[str, ...]  # names in ``text``, in order (rag.names)
    window: TimeWindow | None = None


def analyse(text: str, search: str | None = None, window: TimeWindow | None = None) -> Question:
    """``text`` analysed; ``search`` is the text retrieval searches (``text`` itself when None)."""
    words = tuple(content_words(text))
    search = text if search is None else search
    search_words = words if search == text else tuple(content_words(search))
    return Question(text, search, words, search_words, tuple(names(text)), window)
