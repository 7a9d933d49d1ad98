"""``newsrag brief``, ``newsrag timeline`` and ``newsrag stories list|rebuild``.

Click commands, listed in ``rag.cli.COMMANDS``. Parsing and printing only: the work is in
rag.stories (brief, timeline, story, assign) and index.stories.
"""
from __future__ import annotations

import json
from datetime import date

import click

from rag.cli import Invocation, _iso_date, open_app, pass_invocation
from rag.stories.window import window_of as _window


def window_of(since: str | None, first: str | None, last: str | None, today: date | None = None) -> tuple[str, str]:
    """(first day, day after the last) from ``--since 7d`` (or a date) or ``--from``/``--to`` (inclusive)."""
    try:
        return _window(since, first, last, today)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to" if first or last else "--since") from None


def _finder(app):
    from rag.stories.brief import retrieval_finder

    return retrieval_finder(app.retriever)


@click.command("brief", help="the week's stories (or a window's), most important first, each cited")
@click.option("--since", help="a date or an interval back from today, such as 7d (default 7d)")
@click.option("--from", "first", callback=_iso_date, help="first day (YYYY-MM-DD)")
@click.option("--to", "last", callback=_iso_date, help="last day, inclusive (YYYY-MM-DD)")
@click.option("--topic", help="only the stories retrieval finds for this text")
@click.option("--max-words", type=click.IntRange(min=10), default=400, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_invocation
def brief_command(run: Invocation, since, first, last, topic, max_words, as_json) -> int:
    from rag.stories.brief import brief
    from rag.stories.render import brief_json, brief_text

    app = open_app(run.settings(), seed=False)
    b = brief(app.stories, window_of(since, first, last), topic, max_words, find=_finder(app) if topic else None,
              summarise=app.summaries)
    print(json.dumps(brief_json(b), indent=2) if as_json else brief_text(b))
    return 0


@click.command("timeline", help="how a story (its id) or a topic developed, article by article")
@click.argument("topic_or_id")
@click.option("--json", "as_json", is_flag=True)
@pass_invocation
def timeline_command(run: Invocation, topic_or_id: str, as_json: bool) -> int:
    from rag.stories.render import timeline_json, timeline_text
    from rag.stories.timeline import timeline

    app = open_app(run.settings(), seed=False)
    t = timeline(app.stories, topic_or_id, find=_finder(app))
    print(json.dumps(timeline_json(t), indent=2) if as_json else timeline_text(t))
    return 0


@click.group("stories", help="the stories articles are grouped into: list, rebuild")
def stories() -> None:
    pass


@stories.command("list", help="the current stories, most important first")
@click.option("--since", help="a date or an interval back from today (default 7d)")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_invocation
def list_command(run: Invocation, since, limit, as_json) -> int:
    from rag.stories.render import stories_text, story_summary_json
    from rag.stories.story import stories_in

    app = open_app(run.settings(), seed=False)
    found = stories_in(app.stories, window_of(since, None, None), limit)
    print(json.dumps([story_summary_json(s, app.summaries) for s in found], indent=2) if as_json else stories_text(found))
    return 0


@stories.command("rebuild", help="recompute the stories from scratch, in date order")
@click.option("--since", callback=_iso_date, help="only the articles of this day (YYYY-MM-DD) and after")
@pass_invocation
def rebuild_command(run: Invocation, since) -> int:
    from rag.stories.assign import rebuild

    app = open_app(run.settings(), seed=False)
    placed = rebuild(app.store, app.stories, app.ingestor.after_write, since)
    articles, count = app.stories.count()
    print(f"placed {placed} articles; {count} stories hold {articles} articles")
    return 0
