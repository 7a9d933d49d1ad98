"""The names a question mentions, and the other forms the same name takes in an article.

A name is a run of capitalised words that does not start a sentence ("Zephyr Prize",
"Tencent"); punctuation ends a run. Its forms are what an article may write instead: the
singular and non-possessive word ("Americans'" -> "American"), a country's name, demonym and
common spellings ("American" -> "United States", "U.S.", "America"; "British" -> "UK",
"Britain"), and an organisation's short form ("Fed" <-> "Federal Reserve"). Country names,
official names, alternative spellings and demonyms come from the countryinfo package (data
from the REST Countries project, one demonym per country); a short table below adds what it
lacks. Not here: looking the forms up in the corpus, or deciding what an unknown name means
(rag.abstention).
"""
from __future__ import annotations

import functools
import re

from index.stopwords import CONTENT
from rag.text import sentence_spans, stem

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)
_PLAIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# countryinfo gives one demonym per country and no organisations. News writes more forms than
# that ("Briton", "Korean", "the Fed", "EU"), so these groups are added by hand. Each group is a
# set of forms of one name.
EXTRA_FORMS: tuple[tuple[str, ...], ...] = (
    ("United States", "U.S.", "US", "USA", "U.S.A.", "America", "American", "Americans"),
    ("United Kingdom", "U.K.", "UK", "Britain", "Great Britain", "British", "Briton", "Brit"),
    ("England", "English"),
    ("Scotland", "Scottish", "Scot", "Scots"),
    ("South Korea", "South Korean", "Korea", "Korean"),
    ("Netherlands", "Dutch", "Holland"),
    ("Philippines", "Filipino", "Filipina", "Philippine"),
    ("Saudi Arabia", "Saudi", "Saudi Arabian"),
    ("United Arab Emirates", "UAE", "Emirati"),
    ("Soviet Union", "USSR", "Soviet"),
    ("Europe", "European"),
    ("Africa", "African"),
    ("Asia", "Asian"),
    ("Latin America", "Latin American"),
    ("European Union", "EU", "E.U."),
    ("United Nations", "UN", "U.N."),
    ("Federal Reserve", "Fed"),
    ("European Central Bank", "ECB"),
    ("International Monetary Fund", "IMF"),
    ("North Atlantic Treaty Organization", "NATO", "Nato"),
    ("World Health Organization", "WHO"),
    ("Securities and Exchange Commission", "SEC"),
    ("Food and Drug Administration", "FDA"),
    ("Centers for Disease Control and Prevention", "CDC"),
    ("Republican Party", "Republican", "Republicans", "GOP"),
    ("Democratic Party", "Democrat", "Democrats", "Democratic"),
)

# Capitalised, but a date rather than a subject: "the March vote" is no evidence that the
# passages are about the question's place or person.
CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def names(text: str) -> list[str]:
    """Runs of capitalised words that do not start a sentence, in order, each once.

    "Who won the Zephyr Prize in March?" -> ["Zephyr Prize", "March"]. Words of two letters or
    fewer ("US", "AI") are left out, as are stop words ("What", "The").
    """
    out: list[str] = []
    for start, end in sentence_spans(text):
        run: list[str] = []
        tokens = _TOKEN.findall(text[start:end])
        for position, token in enumerate(tokens):
            name_like = (position > 0 and token[0].isupper() and len(token) > 2
                         and token.lower() not in CONTENT and _PLAIN_WORD.fullmatch(token) is not None)
            if name_like:
                run.append(token)
                continue
            if run:
                out.append(" ".join(run))
                run = []
        if run:
            out.append(" ".join(run))
    return list(dict.fromkeys(out))


def forms(name: str) -> tuple[str, ...]:
    """``name`` and the other ways an article may write it, ``name`` first."""
    out = [name]
    for variant in _singulars(name):
        out.append(variant)
    for variant in list(out):
        out.extend(_groups().get(variant.lower(), ()))
    return tuple(dict.fromkeys(out))


def tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words, for finding a form inside a passage's text."""
    return [stem(word) for word in _PLAIN_WORD.findall(text.lower())]


def occurs_in(form: str, passage_tokens: list[str]) -> bool:
    """Whether ``form``'s words occur one after another in ``passage_tokens``."""
    wanted = tokens(form)
    if not wanted:
        return False
    n = len(wanted)
    return any(passage_tokens[i : i + n] == wanted for i in range(len(passage_tokens) - n + 1))


def _singulars(name: str) -> list[str]:
    """The name without a plural or possessive ending on its last word."""
    head, _, last = name.rpartition(" ")
    prefix = f"{head} " if head else ""
    out = []
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if len(last) > len(suffix) + 2 and last.endswith(suffix) and not last.endswith("ss"):
            out.append(prefix + last[: -len(suffix)] + replacement)
    return out


@functools.cache
def _groups() -> dict[str, tuple[str, ...]]:
    """Lower-cased form -> the forms of every name it is a form of (countryinfo, EXTRA_FORMS)."""
    try:
        from countryinfo import all_countries
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ImportError("countryinfo is missing: reinstall newsrag (scripts/install.sh)") from exc
    groups: list[set[str]] = []
    for country in all_countries():
        codes = {code.upper() for code in (country.iso(2), country.iso(3)) if isinstance(code, str)}
        group = {country.name(), *(s for s in country.alt_spellings() if s.upper() not in codes)}
        if country.demonym():
            group.add(country.demonym())
        # Spellings with commas ("Korea, Republic of") are index entries, not how articles write.
        groups.append({form for form in group if form and "," not in form})
    groups.extend(set(extra) for extra in EXTRA_FORMS)
    # One level, not a closure: "Chinese" is also Hong Kong's and Macau's demonym, which makes
    # "Chinese" a form of all three but not "Hong Kong" a form of "China".
    by_form: dict[str, set[str]] = {}
    for group in groups:
        for form in group:
            by_form.setdefault(form.lower(), set()).update(group)
    return {key: tuple(sorted(value)) for key, value in by_form.items()}
