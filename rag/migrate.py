"""`newsrag migrate --to TARGET`: copy the current store into another one (index.migrate).

TARGET is a postgresql:// URL or a data folder (SQLite + FAISS). The source is the store the
settings name (``--store``, else the data folder); its feeds and their items go along. Safe to
kill and rerun. A Click command, listed in ``rag.cli.COMMANDS``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rag.cli import Invocation, pass_invocation
from rag.errors import ConfigError
from rag.settings import POSTGRES_SCHEMES, Settings


def target_settings(settings: Settings, target: str) -> Settings:
    if target.startswith(POSTGRES_SCHEMES):
        wanted = settings.replace(store=target)
    else:
        wanted = settings.replace(store="", data_dir=Path(target).expanduser())
    same = (wanted.store == settings.store if settings.store
            else not wanted.store and wanted.data_dir.resolve() == settings.data_dir.resolve())
    if same:
        raise ConfigError(f"migrate --to {target}: that is the store being copied")
    return wanted


@click.command("migrate", help="copy the store, embeddings included, to PostgreSQL or to a data folder")
@click.option("--to", "to", required=True, metavar="TARGET",
              help="postgresql://user@host/db, or a data folder for SQLite + FAISS")
@click.option("--batch", type=int, default=64, show_default=True, help="documents per transaction")
@pass_invocation
def migrate_command(run: Invocation, to: str, batch: int) -> int:
    from tqdm import tqdm

    from index.migrate import copy_store
    from rag.wiring import build, open_feeds, open_store, open_stories

    if batch < 1:
        raise ConfigError(f"--batch {batch}: must be a positive number")
    settings = run.settings()
    app = build(settings)
    wanted = target_settings(settings, to)
    target = open_store(wanted, app.embedder)
    bar = tqdm(desc="copying", unit=" docs", file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = copy_store(app.store, target, batch_docs=batch, progress=update,
                            feeds=(app.feeds, open_feeds(wanted, target)),
                            stories=(app.stories, open_stories(wanted, target)))
    finally:
        bar.close()
        target.close()
    print(f"copied {report.copied} documents ({report.chunks} chunks), {report.skipped} already there, "
          f"and {report.feeds_copied} feeds ({report.feeds_skipped} already there), "
          f"in {report.seconds:.1f}s: {app.store.describe()} -> {target.describe()}")
    return 0
