"""Which words a form is, once for both stores: the tokeniser behind ``unknown_words``.

``unknown_words`` says which forms of a question's names no chunk contains, and that decides
whether a question is declined (rag.abstention), so it must not depend on the backend. The two
index their text differently (SQLite's FTS5 with ``porter unicode61``, PostgreSQL's ``english``
configuration, index.sqlite.schema and index.postgres.schema), so the split of a form into words is
done here, in Python, the way FTS5's unicode61 does it: lower case, accents folded ("São" ->
"sao"), any character that is not a letter or a digit a break ("Huawei's" -> huawei s,
"AI-driven" -> ai driven, "U.S." -> u s). Each store then only answers whether those words
occur one after another in some chunk. A form of PostgreSQL's stop words alone counts as known on
both, since PostgreSQL keeps none of them. Not here: the lookups (index.sqlite.keywords for SQLite,
index.postgres.store), the words of a keyword search (index.keyword_query).

The stored side agrees too: FTS5 folds and stems as it indexes, and PostgreSQL keeps a column of
each chunk's text folded, split and stemmed the same way (index.postgres.schema.WORDS_CONFIG,
Porter's stemmer on both). Left: scripts whose marks FTS5 does not fold (Hebrew points, Indic
vowel signs), which these rules and the two stores may split differently.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from index.stopwords import SEARCH

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def terms(form: str) -> tuple[str, ...]:
    """The words of ``form`` as FTS5's unicode61 tokeniser finds them: lower case, accents folded."""
    decomposed = unicodedata.normalize("NFKD", form.lower())
    return tuple(_WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c))))


def to_look_up(forms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each distinct form a store must look up, with its words; forms with no word or with stop
    words alone are known without a lookup and are left out."""
    out: dict[str, tuple[str, ...]] = {}
    for form in dict.fromkeys(forms):
        words = terms(form)
        if words and not all(w in SEARCH for w in words):
            out[form] = words
    return out
