"""What assigning stories costs `add`: one `add` of a corpus through the real ingestion path (the
default models, a fresh data directory), with the story hook timed inside the run.

    .venv/bin/python bench/stories_cost.py BENCH_DIR [--limit N] [--out DIR]

Prints the seconds of the whole `add`, the seconds spent in the story hook (embedding each
article's title and lead, reading the window's candidates, choosing, writing the memberships),
and the ratio of `add` with stories to `add` without them, taken as the whole run over the run
less the hook: both sides of the ratio come from one run on one machine state, so the two shared
cores' load, which swings a separate run by more than the hook costs, cancels out.
(``bench/stories.py --speed N`` times separate runs with and without stories instead.)
Reads only BENCH_DIR/corpus.jsonl.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402


class TimedHook:
    """The Ingestor's after-write hook, timed."""

    def __init__(self, hook) -> None:
        self.hook = hook
        self.seconds = 0.0
        self.calls = 0

    def written(self, batch) -> None:
        started = time.perf_counter()
        self.hook.written(batch)
        self.seconds += time.perf_counter() - started
        self.calls += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles")
    ap.add_argument("--out", type=Path, help="the data directory (default: a fresh temporary one)")
    args = ap.parse_args()
    corpus = args.bench / "corpus.jsonl"
    work = args.out or Path(tempfile.mkdtemp(prefix="newsrag-stories-cost-"))
    if args.limit:
        lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:args.limit]
        corpus = work / "corpus.jsonl"
        work.mkdir(parents=True, exist_ok=True)
        corpus.write_text("".join(lines), encoding="utf-8")
    app = build(load_settings({}, data_dir=work / "data", index_corpus_on_first_run=False))
    hook = TimedHook(app.ingestor.after_write)
    app.ingestor.after_write = hook
    app.embedder.embed(["warm up"])
    started = time.perf_counter()
    report = app.ingestor.add([corpus])
    total = time.perf_counter() - started
    articles, stories = app.stories.count()
    print(f"add: {len(report.added)} articles, {report.chunks} chunks, {len(report.errors)} errors in {total:.1f}s; "
          f"{articles} articles in {stories} stories")
    print(f"story hook: {hook.seconds:.1f}s in {hook.calls} batches ({1000 * hook.seconds / max(1, articles):.1f} ms "
          f"an article)")
    print(f"add with stories / add without: {total / (total - hook.seconds):.3f}")


if __name__ == "__main__":
    main()
