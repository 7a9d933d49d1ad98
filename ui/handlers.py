"""The chat page's event handlers as plain functions over a `Newsrag`, testable without a browser.

A conversation is a list of `Turn`s kept on the server (in a Gradio State): the chat messages and
the sources panel are re-rendered from it, so HTML never round-trips through the browser and the
history handed to the pipeline is the checked answer text, not its markup. Not here: the page
layout and Gradio wiring (ui.app), HTML (ui.render_html), upload checks (rag.uploads).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator, Sequence

from index.errors import NewsragError
from rag.errors import QuestionError
from rag.ingest import IngestReport
from rag.loaders.reading import MB
from rag.pipeline import checked_question
from rag.progress import ProgressFn
from rag.records import Answer
from rag.wiring import Newsrag
from ui.render_html import (UploadResult, render_answer_html, render_documents_html, render_error,
                            render_question, render_sources_html, render_sources_panel, render_streaming, text)
from rag.uploads import (UploadRejected, prune_uploads, record_uploads, store_upload, unique_names, uploads_dir,
                        validate_upload)

log = logging.getLogger(__name__)
# Anyone who can reach the page sees this; the exception's type and message go to the log only.
UNEXPECTED = "Something went wrong while answering; the details are in the server log."


@dataclass(frozen=True)
class Turn:
    number: int  # names this answer's source anchors, unique within a conversation
    question: str
    answer_text: str  # the checked answer, the history for follow-ups; "" when answering failed
    answer_html: str
    sources_html: str


Message = dict[str, str]
ChatUpdate = tuple[list[Message], list[Turn], str]  # chat messages, turns, sources panel


def chat_messages(turns: Sequence[Turn]) -> list[Message]:
    messages: list[Message] = []
    for turn in turns:
        messages.append({"role": "user", "content": render_question(turn.question)})
        messages.append({"role": "assistant", "content": turn.answer_html})
    return messages


def history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(question, answer) pairs for the pipeline, oldest first, failed turns left out."""
    return [(t.question, t.answer_text) for t in turns if t.answer_text]


def sources_panel(turns: Sequence[Turn]) -> str:
    return render_sources_panel([t.sources_html for t in turns if t.sources_html])


@dataclass
class Session:
    """One tab's mutable state, seen by all its running handlers (Gradio keeps one per tab).

    ``epoch`` counts "clear chat" clicks and ``answers`` the answers started. Clearing does not
    cancel a running answer through Gradio: a cancelled event's last streamed value can land
    after the cleared chat and bring the old answer back. Instead the answer checks the epoch at
    each token, stops (releasing the model) and leaves the chat empty as its own last update.
    """

    epoch: int = 0
    answers: int = 0


def respond(app: Newsrag, question: str, turns: Sequence[Turn], top_k: int | None = None,
            session: Session | None = None) -> Iterator[ChatUpdate]:
    """Stream one answer: the question at once, tokens as they come, then the checked answer."""
    session = session or Session()
    session.answers += 1
    me, started_in = session.answers, session.epoch

    turns = list(turns)
    question = (question or "").strip()
    if not question:
        yield chat_messages(turns), turns, sources_panel(turns)
        return
    number = turns[-1].number + 1 if turns else 1
    try:
        checked_question(question, app.settings.max_question_chars)
    except QuestionError as exc:
        turns = [*turns, Turn(number, question, "", render_error(str(exc)), "")]
        yield chat_messages(turns), turns, sources_panel(turns)
        return
    shown = chat_messages(turns) + [{"role": "user", "content": render_question(question)}]
    panel = sources_panel(turns)
    yield shown + [{"role": "assistant", "content": render_streaming("")}], turns, panel

    pieces: list[str] = []
    answer: Answer | None = None
    stream = app.pipeline.stream(question, history(turns), top_k=int(top_k) if top_k else None)
    try:
        for item in stream:
            if session.epoch != started_in:
                break
            if isinstance(item, Answer):
                answer = item
            else:
                pieces.append(item)
                yield shown + [{"role": "assistant", "content": render_streaming("".join(pieces))}], turns, panel
    except Exception as exc:  # the chat shows every failure rather than a spinner that never ends
        if not isinstance(exc, NewsragError):
            log.exception("answering %r failed", question)
        if session.epoch == started_in:
            message = str(exc) if isinstance(exc, NewsragError) else UNEXPECTED
            turns = [*turns, Turn(number, question, "", render_error(message), "")]
            yield chat_messages(turns), turns, panel
            return
    finally:
        # Releases the model's lock at once when the answer is abandoned (tab closed, chat cleared).
        stream.close()
    if session.epoch != started_in:
        if session.answers == me:  # nothing newer on screen: end on the empty chat
            yield clear_chat()
        return
    assert answer is not None, "Pipeline.stream ended without an Answer"
    # A new list, never the one yielded before: each update is a snapshot Gradio may still hold.
    turns = [*turns, Turn(number, question, answer.text, render_answer_html(answer, number),
                          render_sources_html(answer, number, corroboration(app, answer)))]
    yield chat_messages(turns), turns, sources_panel(turns)


def corroboration(app: Newsrag, answer: Answer) -> dict:
    """Each cited article's story and its other outlets, for the sources panel (a brief's sources
    are its stories' own articles, and say so in the brief already)."""
    from rag.stories.corroboration import corroborate

    if answer.form != "answer" or not answer.citations:
        return {}
    return corroborate(app.stories, [c.passage.doc_id for c in answer.citations])


def clear_chat(session: Session | None = None) -> ChatUpdate:
    """An empty chat; an answer still running in this tab stops at its next token."""
    if session is not None:
        session.epoch += 1
    return [], [], sources_panel([])


# -- documents ------------------------------------------------------------------------------------

def add_uploads(app: Newsrag, files: Sequence[str | Path] | None, *, max_mb: float,
                progress: ProgressFn | None = None) -> UploadResult:
    """Check, store and index uploaded files; one bad file never stops the others."""
    result = UploadResult()
    paths = [Path(f) for f in files or []]
    folder = uploads_dir(app.settings.data_dir)
    accepted: list[tuple[Path, str]] = []
    for path in paths:
        try:
            size = os.path.getsize(path)
            accepted.append((path, validate_upload(path.name, size, max_mb)))
        except UploadRejected as exc:
            result.rejected.append((path.name, str(exc)))
        except OSError as exc:
            result.rejected.append((path.name, f"cannot read the upload: {exc.strerror or exc}"))
    stored: list[Path] = []
    for (path, _), name in zip(accepted, unique_names([name for _, name in accepted])):
        try:
            stored.append(store_upload(path, name, folder, int(max_mb * MB)))
        except UploadRejected as exc:
            result.rejected.append((path.name, str(exc)))
        except OSError as exc:
            result.rejected.append((path.name, f"cannot store the upload: {exc.strerror or exc}"))
    if stored:
        result.report = _add_each(app, stored, progress, folder)
        wanted = {*result.report.added, *result.report.updated, *result.report.unchanged,
                  *(twin for _, twin in result.report.duplicates)}
        result.documents = {d.id: d for d in app.store.documents() if d.id in wanted}
    return result


def _add_each(app: Newsrag, stored: list[Path], progress: ProgressFn | None, folder: Path) -> IngestReport:
    """Index the stored uploads one file at a time, to know which documents each one produced.

    (A document's ``source`` cannot tell: front matter may set it.) Then every upload none of
    whose documents is still indexed (it failed, held only duplicates, or was removed) is deleted.
    """
    total = IngestReport()
    produced: dict[str, list[str]] = {}
    for path in stored:
        seen = total.documents + len(total.errors)
        embedded = total.embedded
        step = (lambda d, c, seen=seen, embedded=embedded: progress(seen + d, embedded + c)) if progress else None
        part = app.ingestor.add([path], step)
        for name in ("added", "updated", "unchanged", "duplicates", "errors"):
            getattr(total, name).extend(getattr(part, name))
        total.chunks += part.chunks
        total.embedded += part.embedded
        total.seconds += part.seconds
        produced[path.name] = [*part.added, *part.updated, *part.unchanged]
    record_uploads(folder, produced)
    prune_uploads(folder, {d.id for d in app.store.documents()})
    return total


NEED_ID = '<p class="nr-error">Give the id of the document to remove (see the list below).</p>'


def remove_document(app: Newsrag, doc_id: str) -> str:
    """Remove one document by id; the answer is a short HTML status line."""
    doc_id = (doc_id or "").strip()
    if not doc_id:
        return NEED_ID
    if app.ingestor.remove(doc_id):
        prune_uploads(uploads_dir(app.settings.data_dir), {d.id for d in app.store.documents()})
        return f'<p class="nr-ok">Removed <code>{text(doc_id)}</code>.</p>'
    return f'<p class="nr-error">No document with id <code>{text(doc_id)}</code>.</p>'


def find_document(app: Newsrag, doc_id: str):
    """The indexed document with this id (surrounding space ignored), or None."""
    doc_id = (doc_id or "").strip()
    return next((d for d in app.store.documents() if d.id == doc_id), None)


def ask_to_remove(app: Newsrag, doc_id: str) -> str:
    """The question the Remove button asks before anything is removed (an HTML status line)."""
    doc_id = (doc_id or "").strip()
    doc = find_document(app, doc_id)
    if doc is None:
        return f'<p class="nr-error">No document with id <code>{text(doc_id)}</code>.</p>' if doc_id else NEED_ID
    return (f'<p class="nr-confirm">Remove <code>{text(doc.id)}</code> “{text(doc.title)}” '
            f"({doc.chunks} chunks) from the index? This cannot be undone.</p>")


def documents_html(app: Newsrag) -> str:
    return render_documents_html(app.store.documents())


# -- stories --------------------------------------------------------------------------------------

STORIES_SHOWN = 20
STORY_DAYS = 7  # the Stories view shows a week, as a brief does


def stories_html(app: Newsrag, today: date | None = None) -> str:
    """The Stories view: the last week's stories, or when the last week has none, those of the
    week up to the newest story's last day (a corpus of older news still shows its stories)."""
    from rag.stories.story import current_stories, story
    from ui.render_stories import render_stories_html

    today = today or date.today()
    found = current_stories(app.stories, STORIES_SHOWN, STORY_DAYS, today)
    if not found:
        newest = next(iter(app.stories.story_ids()), None)
        latest = story(app.stories, newest) if newest else None
        if latest is None:
            return render_stories_html([], {}, None)
        today = date.fromisoformat(latest.last_day)
        found = current_stories(app.stories, STORIES_SHOWN, STORY_DAYS, today)
    urls = app.stories.urls_of([a.doc_id for s in found for a in s.articles])
    return render_stories_html(found, urls, ((today - timedelta(days=STORY_DAYS - 1)).isoformat(), today.isoformat()),
                               app.summaries)
