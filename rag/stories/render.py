"""Briefs, timelines and story lists as terminal text or JSON. Presentation only.

Every sentence carries [n] markers; a "Sources:" list numbers the articles, as answers are shown
(rag.render_text). Not here: choosing or summarising stories (rag.stories.brief, timeline).
"""
from __future__ import annotations

from index.stories import Story, StoryArticle
from rag.stories.brief import Brief
from rag.stories.summary import EXTRACTIVE, Summariser
from rag.stories.timeline import Timeline


def _source_line(n: int, a: StoryArticle) -> str:
    return f"[{n}] {a.title} ({a.day}, {a.outlet})"


def story_json(s: Story) -> dict:
    return {"id": s.id, "headline": s.headline, "headline_doc": s.headline_doc, "first_day": s.first_day,
            "last_day": s.last_day, "outlets": list(s.outlets), "articles": [a.doc_id for a in s.articles]}


def story_summary_json(s: Story, summarise: Summariser = EXTRACTIVE) -> dict:
    """`story_json` with its counts and its summary (rag.stories.summary, or the model's:
    rag.stories.written), whose sentences cite its articles by number: ``citations`` lists every
    article of the story, numbered in date order."""
    numbers = {a.doc_id: n for n, a in enumerate(s.articles, 1)}
    sentences = [{"text": x.text, "citations": [numbers[d] for d in x.doc_ids if d in numbers]} for x in summarise(s)]
    return {**story_json(s), "outlet_count": len(s.outlets), "article_count": len(s.articles),
            "summary": " ".join(x["text"] + "".join(f"[{n}]" for n in x["citations"]) for x in sentences),
            "sentences": sentences,
            "citations": [{"number": n, "doc_id": a.doc_id, "title": a.title, "published": a.day,
                           "outlet": a.outlet} for n, a in enumerate(s.articles, 1)]}


def brief_text(b: Brief) -> str:
    if not b.items:
        return "No stories in this window" + (f" on {b.topic!r}." if b.topic else ".")
    lines = [f"{i}. {b.item_text(item)}" for i, item in enumerate(b.items, 1)]
    lines.append("Sources:")
    lines.extend(_source_line(n, a) for n, a in enumerate(b.sources, 1))
    return "\n".join(lines)


def brief_json(b: Brief) -> dict:
    return {
        "window": {"first_day": b.window[0], "day_after": b.window[1]} if b.window else None,
        "topic": b.topic,
        "text": b.text,
        "stories": [{**story_json(i.story), "outlet_count": i.outlets,
                     "sentences": [{"text": s.text, "citations": [b.number(d) for d in s.doc_ids]}
                                   for s in i.sentences]} for i in b.items],
        "citations": [{"number": n, "doc_id": a.doc_id, "title": a.title, "published": a.day,
                       "outlet": a.outlet} for n, a in enumerate(b.sources, 1)],
    }


def timeline_text(t: Timeline) -> str:
    if not t.entries:
        return f"No story matches {t.query!r}."
    lines = []
    for n, e in enumerate(t.entries, 1):
        lines.append(f"{e.day}  {e.outlet}: {e.title}. {e.sentence} [{n}]")
    lines.append("Sources:")
    lines.extend(f"[{n}] {e.title} ({e.day}, {e.outlet})" for n, e in enumerate(t.entries, 1))
    return "\n".join(lines)


def timeline_json(t: Timeline) -> dict:
    return {"query": t.query, "stories": [story_json(s) for s in t.stories],
            "entries": [{"number": n, "day": e.day, "outlet": e.outlet, "title": e.title, "sentence": e.sentence,
                         "doc_id": e.doc_id, "story_id": e.story_id} for n, e in enumerate(t.entries, 1)]}


def stories_text(stories: list[Story]) -> str:
    if not stories:
        return "no stories (add articles, or run `newsrag stories rebuild`)"
    return "\n".join(f"{s.id}  {s.first_day}..{s.last_day}  {len(s.outlets)} outlets, {len(s.articles)} articles  "
                     f"{s.headline}" for s in stories)
