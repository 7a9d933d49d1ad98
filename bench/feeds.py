"""Feed sync cost: first sync, re-sync with nothing changed, re-sync with 10% of items changed.

    .venv/bin/python bench/feeds.py [--feeds 6] [--items 50] [--fake-embedder]

Serves a local feed set from 127.0.0.1 (the tests' http.server): half the feeds carry full
content (RSS, with an ETag, so an unchanged re-sync is a 304), half only teasers (Atom, no
validators, so the body comes again and entries are matched by fingerprint; their links are
article pages fetched on the first sync). Prints, per pass: seconds, items/s, HTTP requests,
article pages fetched, chunks embedded, and the process's peak resident memory; and each re-sync
as a ratio of the first. The real embedder by default. The per-host rate limit is raised for the
bench (every feed is on one host here; at the default 2 requests/s the first sync would be bound
by it instead).
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from feed_samples import Item, article_html, atom, rss  # noqa: E402
from fixture_server import FixtureServer, Route  # noqa: E402

from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402

WORDS = ("council port tram ferry budget storm election court minister strike harbour museum bridge "
         "hospital school river coast festival railway airport").split()


def story(feed: int, i: int, version: int = 0) -> list[str]:
    words = [WORDS[(feed * 7 + i * 3 + j) % len(WORDS)] for j in range(12)]
    return [f"Report {feed}-{i} (version {version}): the {' '.join(words[:4])} story developed on day {i}. "
            f"Officials said the {' and '.join(words[4:8])} plans would be reviewed. " * 4,
            f"Residents of district {i} reacted to the {' '.join(words[8:])} news with mixed feelings. " * 3]


def serve_feeds(server: FixtureServer, feeds: int, items: int, changed: set[tuple[int, int]], version: int) -> None:
    for f in range(feeds):
        entries = []
        for i in range(items):
            v = version if (f, i) in changed else 0
            link = server.url(f"/a/{f}/{i}")
            day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
            paragraphs = story(f, i, v)
            if f % 2 == 0:
                body = "".join(f"<p>{p}</p>" for p in paragraphs)
                entries.append(Item(f"f{f}-{i}", f"Story {f}-{i}", link, day, summary=paragraphs[0][:120], content=body))
            else:
                entries.append(Item(f"f{f}-{i}", f"Story {f}-{i}", link, day, summary=f"Teaser {f}-{i} v{v}."))
                server.routes[f"/a/{f}/{i}"] = Route(article_html(f"Story {f}-{i}", paragraphs, published=day),
                                                     headers={"Content-Type": "text/html"})
        if f % 2 == 0:
            server.routes[f"/feed/{f}.xml"] = Route(rss(f"Feed {f}", entries), etag=f'"{f}-{version}"')
        else:
            server.routes[f"/feed/{f}.xml"] = Route(atom(f"Feed {f}", entries))


def one_pass(app, server: FixtureServer, label: str, first: dict | None) -> dict:
    requests, log, embedded = app.fetcher.requests, len(server.log), app.embedder_texts()
    started = time.perf_counter()
    summary = app.syncer.sync()
    seconds = time.perf_counter() - started
    items = summary.total("new") + summary.total("updated") + summary.total("unchanged")
    figures = {
        "seconds": seconds, "items": items, "new": summary.total("new"), "updated": summary.total("updated"),
        "failed": len(summary.failed_feeds), "requests": app.fetcher.requests - requests,
        "articles": sum(1 for path, _ in server.log[log:] if path.startswith("/a/")),
        "embedded": app.embedder_texts() - embedded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    ratio = f"  ({seconds / first['seconds']:.1%} of the first sync's time)" if first else ""
    print(f"{label:26}{seconds:8.2f}s {items / seconds:9.1f} items/s {figures['requests']:6d} requests "
          f"{figures['articles']:5d} pages {figures['new']:5d} new {figures['updated']:5d} updated "
          f"{figures['embedded']:6d} chunks embedded {figures['peak_rss_mb']:7.0f} MB peak{ratio}")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=6)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--fake-embedder", action="store_true", help="hash embedder (measures the sync, not the model)")
    args = ap.parse_args()
    server = FixtureServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({}, data_dir=Path(tmp), index_corpus_on_first_run=False, allow_private_urls=True,
                                 fetch_per_host_rps=1000.0)
        embedder = None
        if args.fake_embedder:
            from fakes import HashEmbedder

            embedder = HashEmbedder(384)
        app = build(settings, embedder=embedder)
        counted = _Counting(app.embedder)
        app.ingestor.embedder = counted
        app.embedder_texts = lambda: counted.texts
        serve_feeds(server, args.feeds, args.items, set(), 0)
        for f in range(args.feeds):
            app.feeds.add(server.url(f"/feed/{f}.xml"), 3600)
        app.embedder.embed(["warm up"])  # load the model outside the timings
        print(f"{args.feeds} feeds x {args.items} items on 127.0.0.1, "
              f"{'hash' if args.fake_embedder else 'real'} embedder")
        first = one_pass(app, server, "first sync", None)
        one_pass(app, server, "re-sync, nothing changed", first)
        changed = {(f, i) for f in range(args.feeds) for i in range(args.items) if (f * args.items + i) % 10 == 3}
        serve_feeds(server, args.feeds, args.items, changed, 1)
        one_pass(app, server, f"re-sync, {len(changed)} changed", first)
    server.stop()


class _Counting:
    """Counts the texts the ingestor embeds, whatever the embedder."""

    def __init__(self, inner) -> None:
        self.inner, self.texts, self.name = inner, 0, inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)

    def check_against(self, sample) -> None:
        self.inner.check_against(sample)


if __name__ == "__main__":
    main()
