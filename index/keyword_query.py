"""The words a keyword search looks for, once for both backends.

A question becomes its words, lower-cased, stop words (index.stopwords.QUERY) out, each once;
each backend ORs them in its own query language (an FTS5 MATCH in index.sqlite.keywords, a
tsquery in index.postgres.store). A word that matches more than ``COMMON_MATCHES`` chunks is left
out while a rarer word of the question remains: BM25 gives such a word almost no weight, yet
scoring its matches is what made keyword search take 0.65 s at a million chunks ("week" and
"country" match a fifth of the archive). Not here: how a backend counts a word's matches, or the
words of a name looked up for ``unknown_words`` (index.words).
"""
from __future__ import annotations

import re

from index.stopwords import QUERY

_WORD = re.compile(r"\w+", re.UNICODE)
# Matches past which a word is too common to score (bench/million.py): 1% of a million chunks.
COMMON_MATCHES = 10_000


def query_words(text: str) -> list[str]:
    """The words of ``text`` a keyword search looks for: lower-cased, stop words out, each once."""
    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in QUERY))
