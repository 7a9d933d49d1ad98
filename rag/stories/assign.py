"""Assign each article to a story as it is written, online and incrementally, and rebuild them.

An article's vector joins two halves: the embedding of its title and lead (its first sentences,
where a news story's identity sits), made in one extra batch per write (about one short text per
document beside its ~8 chunks), and the mean of its chunks' embeddings, which the write has made
anyway (the whole article: what it is about beyond its first lines). It joins the story, among
those with an article within ``horizon_days`` of its day, whose centroid is closest by cosine, with
a bonus for the names (rag.names, from its title and first ``names_chars`` characters) it shares
with the story, each weighted by how rare it is among the articles of the horizon (a name most of
them carry says little), when that score reaches ``threshold``; otherwise it starts a story of its
own, whose id derives from its document id (so a rebuild in date order gives the same ids on both
backends). Candidates come from the story table's day index: the articles of the horizon, never
the archive. A replaced document lost its membership with its old row (ON DELETE CASCADE) and is
assigned again here, so an edited article moves when it no longer fits; a removed one is simply
gone. Deterministic: no language model, ties broken by story id. Not here: the table
(index.stories), headlines, summaries and briefs (rag.stories.story, summary, brief).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import numpy as np

from index.records import Document, PreparedDocument, day_of
from index.stories import StoryArticle, StoryStore
from rag.embedding import Embedder
from rag.names import names
from rag.text import sentence_spans

LEAD_CHARS = 300  # the lead: whole sentences up to this many characters (at least one)
_MIN_LEAD_WORDS = 6  # shorter "sentences" at the top are bylines, datelines and captions


@dataclass(frozen=True)
class StoryParams:
    """How close an article must be to join a story. Tuned on stories-dev's 2022 weeks only
    (bench/stories_tune.py); the 2023 weeks confirm them."""

    horizon_days: int = 3
    threshold: float = 0.65
    names_weight: float = 0.02  # added to the cosine per shared name (times its rarity), up to ``names_cap``
    names_cap: float = 0.2
    names_chars: int = 3000  # names come from the title and this much of the text (0: the lead)
    names_common: float = 1.0  # a name in more than this share of the candidates does not count
    linkage: str = "centroid"  # the story's score: its centroid's cosine, or its closest ("max") article's
    chunks: bool = True  # the article vector also holds the mean of its chunks' vectors
    names_rarity: bool = True  # a shared name weighs log(candidates / those carrying it), else 1


def lead_of(text: str, max_chars: int = LEAD_CHARS) -> str:
    """The article's first real sentences (bylines, datelines and captions skipped), whole, up to
    ``max_chars`` (at least one sentence, cut at ``max_chars`` if that one is longer)."""
    out: list[str] = []
    size = 0
    for start, end in sentence_spans(text):
        sentence = " ".join(text[start:end].split())
        if not out and len(sentence.split()) < _MIN_LEAD_WORDS:
            continue
        if out and size + len(sentence) > max_chars:
            break
        out.append(sentence)
        size += len(sentence) + 1
    return " ".join(out)[:max_chars * 2]


def outlet_of(doc: Document) -> str:
    """The publication: its site name, else its URL's host (without www.), else its source."""
    if doc.site:
        return doc.site
    host = urlsplit(doc.url).hostname if doc.url else None
    if host:
        return host.removeprefix("www.")
    return doc.source or "unknown"


def story_id_for(doc_id: str) -> str:
    return "s" + hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:11]


def article_names(title: str, lead: str) -> tuple[str, ...]:
    # A title is written in title case: its capitalised words are names only where the lead
    # agrees, so the names are the lead's, plus the title's that also occur in the lead.
    in_lead = names(lead)
    lowered = lead.lower()
    in_title = [n for n in names("x " + title) if n.lower() in lowered]
    return tuple(dict.fromkeys(n.lower() for n in in_lead + in_title))


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


class StoryAssigner:
    """Places articles in stories; called by the Ingestor after each store write."""

    def __init__(self, stories: StoryStore, embedder: Embedder, params: StoryParams | None = None) -> None:
        self.stories = stories
        self.embedder = embedder
        self.params = params or StoryParams()

    def articles(self, docs: Sequence[Document], known: dict[str, StoryArticle] | None = None,
                 chunk_vectors: Sequence[np.ndarray | None] | None = None) -> list[StoryArticle]:
        """Unplaced articles (no story yet) for ``docs``, their title+lead vectors in one batch,
        joined with ``chunk_vectors`` (each document's chunk embeddings, when the params use them);
        ``known`` memberships of the same stored documents lend their vectors (nothing
        re-embedded) when made the same way (of the same size)."""
        known = known or {}
        chunk_vectors = chunk_vectors if chunk_vectors is not None else [None] * len(docs)
        leads = [lead_of(d.text) for d in docs]
        texts = [f"{d.title}. {lead}" for d, lead in zip(docs, leads)]
        means = [self._mean(c) for c in chunk_vectors]
        vectors: list[np.ndarray | None] = [None] * len(docs)
        for i, d in enumerate(docs):
            old = known.get(d.id)
            if old is not None and (means[i] is None or old.vector.size == 2 * means[i].size):
                vectors[i] = old.vector
        todo = [i for i, v in enumerate(vectors) if v is None]
        fresh = self.embedder.embed([texts[i] for i in todo]) if todo else []
        for i, vector in zip(todo, fresh):
            vectors[i] = self._joined(np.asarray(vector, np.float32), means[i])
        out = []
        for doc, lead, vector in zip(docs, leads, vectors):
            day = day_of(doc.published)
            out.append(StoryArticle(doc.id, "", day.isoformat() if day else _today(), outlet_of(doc),
                                    doc.title, lead,
                                    article_names(doc.title, doc.text[:self.params.names_chars] if self.params.names_chars else lead),
                                    np.asarray(vector, np.float32)))
        return out

    def _mean(self, embeddings: np.ndarray | None) -> np.ndarray | None:
        if not self.params.chunks or embeddings is None or len(embeddings) == 0:
            return None
        return np.asarray(embeddings, np.float32).mean(axis=0)

    def _joined(self, title_lead: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
        """Both halves at unit length side by side, so the cosine of two articles is the mean of
        their halves' cosines; without chunk vectors (an empty text), the title and lead twice."""
        if not self.params.chunks:
            return title_lead
        head = title_lead / (np.linalg.norm(title_lead) or 1.0)
        body = head if mean is None else mean / (np.linalg.norm(mean) or 1.0)
        return (np.concatenate([head, body]) / math.sqrt(2.0)).astype(np.float32)

    def written(self, batch: Sequence[PreparedDocument]) -> None:
        """The Ingestor's hook: place the documents it has just written."""
        self.place(self.articles([p.document for p in batch], chunk_vectors=[p.embeddings for p in batch]))

    def place(self, articles: Iterable[StoryArticle]) -> list[StoryArticle]:
        """Put each article, in date order, in its story (or a new one); written one day at a time."""
        todo = sorted(articles, key=lambda a: (a.day, a.doc_id))
        placed: list[StoryArticle] = []
        horizon = timedelta(days=self.params.horizon_days)
        i = 0
        while i < len(todo):
            day = todo[i].day
            same_day = []
            while i < len(todo) and todo[i].day == day:
                same_day.append(todo[i])
                i += 1
            d = date.fromisoformat(day)
            mine = {a.doc_id for a in same_day}
            pool = [a for a in self.stories.within(((d - horizon).isoformat(), (d + horizon + timedelta(days=1)).isoformat()))
                    if a.doc_id not in mine]
            done = []
            for article in same_day:
                story = choose(article, pool, self.params)
                article = replace(article, story_id=story or story_id_for(article.doc_id))
                pool.append(article)
                done.append(article)
            self.stories.put(done)
            placed.extend(done)
        return placed


def choose(article: StoryArticle, pool: Sequence[StoryArticle], params: StoryParams) -> str | None:
    """The story ``article`` joins among ``pool``'s (None: a story of its own)."""
    d = date.fromisoformat(article.day)
    members: dict[str, list[StoryArticle]] = {}
    for other in pool:
        # an article vector made another way (before an upgrade, until `stories rebuild`) is no candidate
        if abs((date.fromisoformat(other.day) - d).days) <= params.horizon_days and other.vector.size == article.vector.size:
            members.setdefault(other.story_id, []).append(other)
    if not members:
        return None
    v = article.vector / (np.linalg.norm(article.vector) or 1.0)
    mine = set(article.names)
    near = [a for group in members.values() for a in group]
    df = {n: sum(n in a.names for a in near) for n in mine}
    if mine and params.names_common < 1.0:
        mine = {n for n in mine if df[n] <= params.names_common * len(near)}
    best, best_score = None, -1.0
    for story_id in sorted(members):
        group = members[story_id]
        if params.linkage == "max":
            score = max(float(v @ a.vector) / (float(np.linalg.norm(a.vector)) or 1.0) for a in group)
        else:
            centroid = np.mean([a.vector for a in group], axis=0)
            score = float(v @ centroid) / (float(np.linalg.norm(centroid)) or 1.0)
        if params.names_weight and mine:
            shared = mine & {n for a in group for n in a.names}
            # the article itself is one of the horizon's articles, so a name of every one weighs 0
            weight = sum(math.log((len(near) + 1) / (df[n] + 1)) for n in shared) if params.names_rarity else len(shared)
            score += min(params.names_cap, params.names_weight * weight)
        if score > best_score:
            best, best_score = story_id, score
    return best if best_score >= params.threshold else None


def rebuild(store, stories: StoryStore, assigner: StoryAssigner, since: str | None = None,
            page: int = 200) -> int:
    """Recompute the stories of the articles of day >= ``since`` (all when None), in date order;
    how many articles were placed. The article vectors already stored are reused: a stored
    membership belongs to the document's current version (a new version drops it)."""
    window = (since or "0001-01-01", "9999-12-31")
    known = {a.doc_id: a for a in stories.within(window)}
    stories.clear(since)
    infos = []
    for info in store.documents():
        day = day_of(info.published) or day_of(info.added_at)
        if since is None or (day and day.isoformat() >= since):
            infos.append(((day.isoformat() if day else ""), info.id))
    infos.sort()
    ids = [doc_id for _, doc_id in infos]
    done = 0
    for start in range(0, len(ids), page):
        prepared = store.read_prepared(ids[start:start + page])
        done += len(assigner.place(assigner.articles([p.document for p in prepared], known,
                                                     [p.embeddings for p in prepared])))
    return done
