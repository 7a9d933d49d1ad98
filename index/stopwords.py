"""The stop-word lists, one place for all of them: which words carry no meaning for a search.

Four uses, four lists, each built on the one before where it can be:

* ``QUERY``: words too common in questions to help BM25 (FTS5 has no stop list of its own); the
  keyword query (index.sqlite.keywords) leaves them out.
* ``CONTENT``: ``QUERY`` plus the pronouns, auxiliaries and news filler ("said", "year") that
  the lexical support check (rag.text) must not count as evidence.
* ``SEARCH``: PostgreSQL's ``english`` stop words (its tsearch_data/english.stop, word for word),
  which its text search leaves out of the text and the query alike: a name made of them alone
  can be found in no PostgreSQL store, so both stores count it as known (index.words).
* ``SCORER``: the list the news-QA benchmark's answer rule uses (rag.eval.judge). It is that
  rule's own, kept word for word: a different list would make the two disagree on short answers
  like "The Bahamas".
"""
from __future__ import annotations

QUERY = frozenset(
    "a an and are as at be been by did do does for from had has have how in is it its of on or "
    "that the their this to was were what when where which who whom whose why will with".split()
)
CONTENT = QUERY | frozenset(
    """about above after again against all also am any because before being below between both
    but can could doing down during each few further having he her here hers him his i if into
    itself just me more most my no nor not now off once only other our out over own said same says
    she should so some such than them then there these they those through too under until up very
    we while would you your week year years new one two""".split()
)
SEARCH = frozenset((
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did "
    "doing a an the and but if or because as until while of at by for with about against "
    "between into through during before after above below to from up down in out on off over "
    "under again further then once here there when where why how all any both each few more "
    "most other some such no nor not only own same so than too very s t can will just don "
    "should now"
).split())
SCORER = frozenset(
    "a an the of in on at to for from by with and or as is was are were be been its it his her "
    "their this that these those which who what new s".split()
)
