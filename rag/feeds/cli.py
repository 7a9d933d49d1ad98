"""``newsrag feed add|list|remove|import`` and ``newsrag sync``: subscriptions from the terminal.

Click commands, listed in ``rag.cli.COMMANDS``. ``feed add`` subscribes and syncs the new feed
once, so a wrong URL shows at once; ``sync`` does one pass over every feed (or the ones named)
with a progress bar and a summary line per feed. Parsing and printing only: the work is in
rag.feeds.sync and index.feeds.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.cli import Invocation, open_app, pass_invocation
from rag.errors import ConfigError
from rag.settings import Settings, parse_interval

_EVERY = click.option("--every", help="sync interval, such as 30m, 2h or 1d (default: the feed_interval setting)")


def _interval(settings: Settings, every: str | None) -> int:
    try:
        return parse_interval(every or settings.feed_interval)
    except ValueError as exc:
        raise ConfigError(f"--every: {exc}") from None


def _feed_url(url: str, settings: Settings) -> str:
    from rag.feeds.sync import feed_url_problem, shown_url

    problem = feed_url_problem(url, settings.max_url_chars)
    if problem:
        raise ConfigError(f"{problem}: {shown_url(url)!r}")
    return url


@click.group("feed", help="subscribe to RSS/Atom feeds: add, list, remove, import")
def feed() -> None:
    pass


@feed.command("add", help="subscribe to a feed URL and sync it once")
@click.argument("url")
@_EVERY
@click.option("--no-sync", is_flag=True, help="subscribe only; the next sync fetches it")
@pass_invocation
def feed_add(run: Invocation, url: str, every: str | None, no_sync: bool) -> int:
    settings = run.settings()
    url = _feed_url(url, settings)
    app = open_app(settings, seed=False)
    fresh = app.feeds.add(url, _interval(settings, every))
    print(("subscribed to " if fresh else "already subscribed (interval updated): ") + url)
    if no_sync:
        return 0
    return _print_summary(app.syncer.sync([url]), as_json=False)


@feed.command("list", help="the feeds with their state: last sync, status, items, last error")
@click.option("--json", "as_json", is_flag=True, help="print the list as JSON")
@pass_invocation
def feed_list(run: Invocation, as_json: bool) -> int:
    from rag.render_text import feeds_text

    feeds = open_app(run.settings(), seed=False).feeds.all()
    print(json.dumps([f.__dict__ for f in feeds], indent=2) if as_json else feeds_text(feeds))
    return 0


@feed.command("remove", help="unsubscribe, removing the articles only this feed brought")
@click.argument("url")
@click.option("--keep-articles", is_flag=True, help="keep its articles in the corpus")
@pass_invocation
def feed_remove(run: Invocation, url: str, keep_articles: bool) -> int:
    app = open_app(run.settings(), seed=False)
    removed = app.syncer.unsubscribe(url, keep_documents=keep_articles)
    if removed is None:
        print(f"newsrag: error: not a feed: {url!r} (see `newsrag feed list`)", file=sys.stderr)
        return 1
    print(f"unsubscribed from {url}; removed {removed} of its articles")
    return 0


@feed.command("import", help="subscribe to every feed of an OPML file")
@click.argument("opml", type=click.Path(path_type=Path), metavar="FILE.opml")
@_EVERY
@pass_invocation
def feed_import(run: Invocation, opml: Path, every: str | None) -> int:
    from rag.feeds.opml import read_opml
    from rag.feeds.sync import feed_url_problem, shown_url

    settings = run.settings()
    found = read_opml(opml)
    interval = _interval(settings, every)
    app = open_app(settings, seed=False)
    added = skipped = 0
    for url, _title in found:
        problem = feed_url_problem(url, settings.max_url_chars)
        if problem:
            print(f"newsrag: skipped {opml}: {problem}: {shown_url(url)!r}", file=sys.stderr)
            skipped += 1
            continue
        added += app.feeds.add(url, interval, update=False)
    print(f"{added} feeds subscribed, {len(found) - added - skipped} already there, {skipped} skipped; "
          "`newsrag sync` fetches them")
    return 1 if skipped else 0


@click.command("sync", help="fetch every feed once and index what is new or changed")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@pass_invocation
def sync(run: Invocation, urls: tuple[str, ...], as_json: bool) -> int:
    from tqdm import tqdm

    app = open_app(run.settings(), seed=False)
    feeds = app.feeds.all()
    unknown = set(urls) - {f.url for f in feeds}
    if unknown:
        raise ConfigError(f"not a feed: {', '.join(sorted(unknown))} (add it with `newsrag feed add`)")
    with tqdm(total=len(urls) or len(feeds), desc="syncing", unit=" feeds", file=sys.stderr, disable=None,
              leave=False) as bar:
        summary = app.syncer.sync(list(urls) or None, progress=lambda result: bar.update(1))
    return _print_summary(summary, as_json)


def _print_summary(summary, as_json: bool) -> int:
    from rag.render_text import sync_text

    print(json.dumps([r.__dict__ for r in summary.feeds], indent=2) if as_json else sync_text(summary))
    return 1 if summary.failed_feeds else 0
