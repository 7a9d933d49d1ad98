"""A story's extractive summary: its most informative title with the facts its articles agree on,
and optionally its most informative lead sentence, each citing the articles it comes from.

News titles and leads are written to summarise, so the summary is taken from them, never written:
faithful by construction and instant. A story's facts are the names (rag.names) and numbers its
articles' titles and leads state, counted once per article; those that two or more articles state
are what the outlets agree on (for a one-article story, its own). The summary's title is the
story's title that states the most agreed facts (the headline's on a tie), followed by up to
``facts`` agreed facts it does not already say, most widely stated first, in parentheses: who,
where and how many in the fewest words. A brief passes what it has said so far, so a fact is stated
once across its stories. The lead sentence, when asked for, is the first sentence of one of the
story's leads that names the most agreed facts the title does not, per word; the same sentence
carried by several outlets counts once and cites them all. Not here: ranking stories and cutting a
brief to its words (rag.stories.brief); the language model's summary (rag.stories.written), which
plugs in where this one does (`Summariser`).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from index.stories import Story, StoryArticle
from rag.names import CALENDAR, names
from rag.text import sentence_spans

MAX_SENTENCE_WORDS = 40
# How many agreed facts follow the title. Chosen on stories-dev's 2022 weeks (bench/stories_tune.py,
# the stored stories of the 3-day centroid assignment): briefs with 0, 2, 3, 4, 6 facts a story stated
# 0.223, 0.253, 0.256, 0.253, 0.253 of the week's answers in 100 words and 0.512, 0.581, 0.590,
# 0.587, 0.590 in 400 (the 2023 weeks, confirming 3: 0.338 and 0.626). Over the stories of the
# current assignment (chunk vectors, rare names): 0.226, 0.253, 0.242, 0.242, 0.242 and 0.499, 0.579,
# 0.584, 0.587, 0.587; 2 to 6 are within a question or two of each other.
FACTS = 3

# A number as news writes it: "$1.02 billion", "970,000", "60%", "5.9".
_NUMBER = re.compile(r"(?:[$\u00a3\u20ac]\s?)?\d[\d,.]*\d?(?:\s?(?:%|percent|million|billion|trillion)\b)?")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a summary or brief, with the documents that say it."""

    text: str
    doc_ids: tuple[str, ...]


class Summariser(Protocol):
    """What makes a story's summary: `EXTRACTIVE` below (`summarise`, the default) or
    rag.stories.written.ModelSummariser (``story_summaries = "model"``)."""

    @property
    def writer(self) -> str:
        """The model that writes the summaries, as answers name theirs; "" for extractive ones."""
        ...

    def __call__(self, story: Story, sentences: int = 2, facts: int = FACTS, said: str = "") -> tuple[Sentence, ...]:
        """One or two sentences, each citing the story's articles that say it; ``sentences``,
        ``facts`` and ``said`` (what a brief has stated so far) as `summarise` reads them."""
        ...


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


def article_facts(article: StoryArticle) -> dict[str, str]:
    """The names and numbers of an article's title and lead: lower-cased -> as first written.
    A capitalised title word is a name only where the lead writes it so. Calendar words and the outlet's own name ("CNN" in a cnn.com lead) are no facts of the story."""
    text = f"{article.title}. {article.lead}"
    found: dict[str, str] = {}
    outlet = article.outlet.lower()
    # Titles are often in title case: their capitalised words are names where the lead writes them so.
    in_title = [n for n in names("x " + article.title) if n in article.lead]
    for fact in names(article.lead) + in_title + [m.strip(" .,") for m in _NUMBER.findall(text)]:
        key = fact.lower()
        if not key or key in CALENDAR or (key.isalpha() and key in outlet):
            continue
        found.setdefault(key, fact)
    return found


def agreed_facts(story: Story) -> list[tuple[str, str, int]]:
    """(key, fact, how many articles state it), most stated first (then first seen): the facts
    of two or more articles, or every fact when the story has one article."""
    counts: Counter[str] = Counter()
    written: dict[str, str] = {}
    for article in story.articles:
        for key, fact in article_facts(article).items():
            counts[key] += 1
            written.setdefault(key, fact)
    least = 2 if len(story.articles) > 1 else 1
    order = {key: i for i, key in enumerate(written)}
    ranked = sorted((k for k, c in counts.items() if c >= least), key=lambda k: (-counts[k], order[k]))
    return [(k, written[k], counts[k]) for k in ranked]


def informative_title(story: Story, agreed: list[tuple[str, str, int]] | None = None) -> str:
    """The story's title (cleaned) that states the most of its agreed facts, weighted by how many
    more articles state each; the headline on a tie."""
    agreed = agreed_facts(story) if agreed is None else agreed
    best, best_score = clean_title(story.headline), -1.0
    ordered = sorted(story.articles, key=lambda a: a.doc_id != story.headline_doc)  # headline first
    for article in ordered:
        title = clean_title(article.title)
        said = f" {_norm(title)} "
        score = sum(count - 1 for key, _, count in agreed if f" {_norm(key)} " in said)
        if score > best_score:
            best, best_score = title, score
    return best


def summarise(story: Story, sentences: int = 2, facts: int = FACTS, said: str = "") -> tuple[Sentence, ...]:
    """The informative title with up to ``facts`` agreed facts neither it nor ``said`` (what a
    brief has stated so far) holds, citing every article of the story (they all report it); and,
    when ``sentences`` is 2 and a lead adds something, the most informative lead sentence (citing
    the articles whose lead has it)."""
    agreed = agreed_facts(story)
    title = informative_title(story, agreed)
    known = f" {_norm(title)} {_norm(said)} "
    extra = [fact for key, fact, _ in agreed if f" {_norm(key)} " not in known][:facts]
    line = _ended(title + (f" ({', '.join(extra)})" if extra else ""))
    out = [Sentence(line, tuple(a.doc_id for a in story.articles))]
    if sentences < 2:
        return tuple(out)
    shared = {key for key, _, _ in agreed}
    said_now = _norm(line)
    best, best_score = None, 0.0
    for a in story.articles:
        sentence = first_sentence(a.lead)
        words = len(sentence.split())
        if not sentence or words > MAX_SENTENCE_WORDS:
            continue
        lowered = sentence.lower()
        new = [n for n in shared if n in lowered and n not in said_now]
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


class Extractive:
    """`summarise` as a `Summariser`: the default, written by no model."""

    writer = ""

    def __call__(self, story: Story, sentences: int = 2, facts: int = FACTS, said: str = "") -> tuple[Sentence, ...]:
        return summarise(story, sentences, facts, said)


EXTRACTIVE = Extractive()
