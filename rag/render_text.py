"""Turn an `Answer` into text for a terminal or JSON for scripts.

Presentation only: no checking or retrieval. The JSON form is a superset of the result format of
the news-QA scorer (answer, abstained, citations, retrieved, latency_s).
"""
from __future__ import annotations

import textwrap
from datetime import timedelta
from typing import TYPE_CHECKING, Mapping

from index.records import Passage
from rag.records import Answer
from rag.timeexpr import TimeWindow

if TYPE_CHECKING:
    from rag.stories.corroboration import Corroboration


def passage_json(p: Passage) -> dict:
    return {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "title": p.title, "published": p.published,
            "url": p.url, "start": p.start, "end": p.end, "score": round(p.score, 6),
            "dense_score": None if p.dense_score is None else round(p.dense_score, 4),
            "keyword_rank": p.keyword_rank, "text": p.text}


def answer_json(a: Answer, corroboration: Mapping[str, Corroboration] | None = None) -> dict:
    """``corroboration`` (rag.stories.corroboration, by document id) adds each citation's story."""
    corroboration = corroboration or {}
    return {
        "question": a.question,
        "answer": a.text,
        "form": a.form,
        "abstained": a.abstained,
        "sentences": [{"text": s.text, "citations": list(s.citations), "supported": s.supported} for s in a.sentences],
        "citations": [{"number": c.number, "doc_id": c.passage.doc_id, "chunk_id": c.passage.chunk_id,
                       "title": c.passage.title, "published": c.passage.published, "url": c.passage.url,
                       "span": c.span, "span_start": c.span_start, "span_end": c.span_end,
                       "text": c.passage.text,
                       "story": corroboration[c.passage.doc_id].json() if c.passage.doc_id in corroboration else None}
                      for c in a.citations],
        "retrieved": [passage_json(p) for p in a.passages],
        "timings": {k: round(v, 4) for k, v in a.timings.items()},
        "latency_s": round(a.timings.get("total", 0.0), 4),
        "tokens": a.tokens,
        "model": a.model,
        "window": window_json(a.window),
    }


def window_json(window: TimeWindow | None) -> dict | None:
    """The window retrieval preferred, its last day inclusive (``TimeWindow.end`` is the day after)."""
    if window is None:
        return None
    return {"first_day": window.start.isoformat(), "last_day": (window.end - timedelta(days=1)).isoformat(),
            "phrase": window.phrase}


def window_text(window: TimeWindow) -> str:
    return (f"(preferring articles published {window.start} to {window.end - timedelta(days=1)}, "
            f"for \u201c{window.phrase}\u201d)")


def sources_text(a: Answer, width: int = 100, corroboration: Mapping[str, Corroboration] | None = None) -> str:
    """The sources block; with ``corroboration``, each source's story and its other outlets."""
    corroboration = corroboration or {}
    if a.abstained or not a.citations:
        unsupported = [s.text for s in a.sentences if not s.supported]
        return "\n".join(f"(unsupported) {s}" for s in unsupported)
    lines = []
    unsupported = [s.text for s in a.sentences if not s.supported]
    for s in unsupported:
        lines.append(f"(no passage supports: {s})")
    lines.append("Sources:")
    for c in a.citations:
        p = c.passage
        facts = ", ".join(x for x in (p.published, p.url or p.source) if x)
        lines.append(f"[{c.number}] {p.title}" + (f" ({facts})" if facts else ""))
        lines.append(textwrap.indent(textwrap.fill(f"\u201c{c.span}\u201d", width - 4), "    "))
        if p.doc_id in corroboration:
            lines.append(f"    ({corroboration[p.doc_id].text})")
    return "\n".join(lines)


def feeds_text(feeds) -> str:
    """`newsrag feed list`: one block per feed with its state."""
    if not feeds:
        return "no feeds (add one with `newsrag feed add URL`)"
    lines = []
    for f in feeds:
        every = f"{f.interval_s // 3600}h" if f.interval_s % 3600 == 0 else f"{f.interval_s // 60}m"
        lines.append(f"{f.url}" + (f"  ({f.title})" if f.title else ""))
        lines.append(f"    every {every}; last sync {f.last_fetch or 'never'}"
                     + (f" (HTTP {f.http_status})" if f.http_status else "")
                     + f"; {f.items} articles from {f.items_seen} items")
        if f.last_error:
            lines.append(f"    last error: {f.last_error}")
    return "\n".join(lines)


def sync_text(summary) -> str:
    """`newsrag sync`: a line per feed (new, updated, unchanged, failed), then the totals."""
    lines = []
    for r in summary.feeds:
        if r.error:
            lines.append(f"FAILED {r.url}: {r.error}")
            continue
        lines.append(f"{r.url}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, {r.failed} failed"
                     + (f", {r.left} left for the next sync" if r.left else "")
                     + (" (not modified)" if r.status == 304 else ""))
        lines.extend(f"    {e}" for e in r.item_errors)
    lines.append(f"{len(summary.feeds)} feeds: {summary.total('new')} new, {summary.total('updated')} updated, "
                 f"{summary.total('unchanged')} unchanged, {summary.total('failed')} items failed, "
                 f"{len(summary.failed_feeds)} feeds failed"
                 + (f", {summary.total('left')} entries left for the next sync" if summary.total("left") else ""))
    return "\n".join(lines)
