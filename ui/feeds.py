"""The Documents tab's feeds and article-URL parts: handlers over a `Newsrag`, and their HTML.

Plain functions, testable without a browser, like ui.handlers: subscribe, unsubscribe, sync now,
add one article by URL, and the feeds table (each feed's last sync, status, articles and last
error). Every feed title, URL and error goes through ``ui.render_html.text`` (feeds are untrusted);
only http(s) URLs become links. Not here: the layout (ui.app), the syncing (rag.feeds).
"""
from __future__ import annotations

from rag.errors import NewsragError
from rag.feeds.sync import SyncSummary, feed_url_problem, shown_url
from rag.settings import parse_interval
from rag.web.article import fetch_article, is_url
from rag.wiring import Newsrag
from ui.render_html import link, safe_url, text


def feeds_html(app: Newsrag) -> str:
    feeds = app.feeds.all()
    if not feeds:
        return '<p class="nr-empty">No feeds yet: add an RSS or Atom feed URL above.</p>'
    rows = []
    for f in feeds:
        where = link(f.url) if safe_url(f.url) else text(f.url)
        status = "never synced" if f.last_fetch is None else f"{text(f.last_fetch)} (HTTP {text(f.http_status or '-')})"
        error = f'<span class="nr-error">{text(f.last_error)}</span>' if f.last_error else ""
        rows.append(f"<tr><td>{text(f.title or '')}<br><small>{where}</small></td><td>{status}</td>"
                    f'<td class="nr-n">{int(f.items)}</td><td>{error}</td></tr>')
    return ('<table class="nr-docs nr-feeds"><thead><tr><th>feed</th><th>last sync</th><th>articles</th>'
            f'<th>last error</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def sync_html(summary: SyncSummary) -> str:
    items = []
    for r in summary.feeds:
        if r.error:
            items.append(f'<li class="nr-error">{text(r.url)}: {text(r.error)}</li>')
        else:
            left = f", {r.left} left for the next sync" if r.left else ""
            items.append(f"<li>{text(r.url)}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, "
                         f"{r.failed} failed{left}</li>")
            items += [f'<li class="nr-error">{text(e)}</li>' for e in r.item_errors]
    return (f'<div class="nr-report nr-sync"><p><strong>{len(summary.feeds)} feeds: {summary.total("new")} new, '
            f'{summary.total("updated")} updated, {len(summary.failed_feeds)} failed</strong></p>'
            f'<ul>{"".join(items)}</ul></div>')


def add_feed(app: Newsrag, url: str) -> str:
    """Subscribe and sync the new feed once; the answer is its sync report."""
    url = (url or "").strip()
    problem = feed_url_problem(url, app.settings.max_url_chars)
    if problem:
        return f'<p class="nr-error">{text(problem[0].upper() + problem[1:])}: <code>{text(shown_url(url))}</code></p>'
    app.feeds.add(url, parse_interval(app.settings.feed_interval), update=False)
    return sync_html(app.syncer.sync([url]))


def remove_feed(app: Newsrag, url: str) -> str:
    url = (url or "").strip()
    removed = app.syncer.unsubscribe(url)  # waits for a background sync in flight
    if removed is None:
        return f'<p class="nr-error">Not a feed: <code>{text(url)}</code></p>'
    return f'<p class="nr-ok">Unsubscribed from <code>{text(url)}</code>; removed {removed} of its articles.</p>'


def sync_now(app: Newsrag) -> str:
    return sync_html(app.syncer.sync())


def add_article(app: Newsrag, url: str) -> str:
    """Fetch and index one article page; the answer names it, or the problem with the URL."""
    url = (url or "").strip()
    if not is_url(url):
        return f'<p class="nr-error">Not a URL: <code>{text(url)}</code></p>'
    try:
        doc = fetch_article(app.fetcher, url, limits=app.ingestor.limits)
    except NewsragError as exc:
        return f'<p class="nr-error">{text(exc)}</p>'
    report = app.ingestor.add_documents([doc])
    if report.errors:
        return f'<p class="nr-error">{text(report.errors[0])}</p>'
    verb = "Added" if report.added else "Updated" if report.updated else "Already in the corpus:"
    return (f'<p class="nr-ok">{verb} <code>{text(doc.id)}</code> “{text(doc.title)}”'
            f'{" · " + text(doc.published) if doc.published else ""}</p>')
