"""The `newsrag` command line: a Click group with add, remove, list, ask, check, and the commands
other packages add (chat, eval).

This is the entry point: `main` hands Click the arguments and ``os.environ`` (its one read of
the environment; Click's own environment-variable options are not used), and each command builds
the one frozen `Settings` from it with `Invocation.settings`: defaults, the config file,
``NEWSRAG_*`` variables, then the command's flags. It is one of the two places (with the UI)
where errors become user messages.

Adding a command: write a Click command in its package's ``cli.py``, taking the `Invocation`
with ``@pass_invocation`` and opening the app with `open_app`, then name it in `COMMANDS` below.
Its module is imported only when the command is listed or run, and must import nothing heavy at
the top.
"""
from __future__ import annotations

import importlib
import itertools
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import click

from index.errors import NewsragError
from rag.errors import QuestionError
from rag.progress import ingest_progress
from rag.settings import RETRIEVERS, Settings, load_settings

# Commands defined in other packages: name -> "module:attribute" of a Click command.
COMMANDS: dict[str, str] = {
    "chat": "ui.cli:chat",
    "eval": "rag.eval.cli:eval_command",
    "feed": "rag.feeds.cli:feed",
    "sync": "rag.feeds.cli:sync",
    "migrate": "rag.migrate:migrate_command",
    "serve-model": "rag.serving_cli:serve_model",
    "brief": "rag.stories.cli:brief_command",
    "timeline": "rag.stories.cli:timeline_command",
    "stories": "rag.stories.cli:stories",
    "serve": "ui.serve:serve",
    "mcp": "rag.api.cli:mcp_command",
}


@dataclass(frozen=True)
class Invocation:
    """What a command knows before it runs: the environment and the flags given before it."""

    environ: Mapping[str, str]
    data_dir: Path | None = None
    config: Path | None = None
    model: str | None = None
    store: str | None = None

    def settings(self, **flags: Any) -> Settings:
        """The settings for this run; ``flags`` are the command's own (None: not given)."""
        overrides = {"data_dir": self.data_dir, "model": self.model, "store": self.store}
        overrides.update({name: value for name, value in flags.items() if value is not None})
        return load_settings(self.environ, self.config, **overrides)


pass_invocation = click.make_pass_decorator(Invocation)


class _Group(click.Group):
    """The newsrag group: its own commands in the order defined, then `COMMANDS`, imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*(name for name in self.commands if name not in COMMANDS), *COMMANDS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return self.commands.get(name)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="newsrag",
                        standalone_mode=False, obj=os.environ)
        return int(code or 0)
    except click.ClickException as exc:  # usage mistakes: what Click prints, and exit status 2
        exc.show()
        return exc.exit_code
    except QuestionError as exc:  # bad input on the command line, like a usage error
        print(f"newsrag: error: {exc}", file=sys.stderr)
        return 2
    except NewsragError as exc:
        print(f"newsrag: error: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, click.Abort):
        print("newsrag: interrupted", file=sys.stderr)
        return 130


@click.group(cls=_Group, name="newsrag", help="Ask questions about your news, offline, with citations.",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path),
              help="where the index lives (default: your user data folder; NEWSRAG_DATA_DIR)")
@click.option("--config", type=click.Path(path_type=Path), help="a TOML settings file (NEWSRAG_CONFIG)")
@click.option("--model", help="qwen2.5-1.5b (default), smollm2-135m, a path to any GGUF file, "
                             "or openai:http://HOST:PORT/v1 for an OpenAI-compatible server")
@click.option("--store", help="postgresql://user@host/db to keep the store in PostgreSQL "
              "(default: SQLite in the data folder; NEWSRAG_STORE)")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, config: Path | None, model: str | None,
        store: str | None) -> None:
    ctx.obj = Invocation(ctx.obj if ctx.obj is not None else {}, data_dir, config, model, store)


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from None


def retrieval_options(command: Callable) -> Callable:
    """``--top-k`` and ``--retriever``, passed to the command as ``top_k`` and ``retriever``."""
    command = click.option("--retriever", type=click.Choice(RETRIEVERS),
                           help="hybrid (default), dense or keyword")(command)
    return click.option("--top-k", type=int, help="passages to retrieve")(command)


def open_app(settings: Settings, *, seed: bool = True):
    """Wire the app and, on a new data directory, index the shipped corpus first."""
    from rag.wiring import build

    app = build(settings)
    if seed:
        with ingest_progress("indexing corpus/") as progress:
            report = app.index_shipped_corpus(progress)
        if report is not None:
            for error in report.errors:
                print(f"newsrag: skipped {error}", file=sys.stderr)
    return app


@cli.command("add", help="add files, folders (.txt .md .html .jsonl .pdf) or article URLs")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
# A flag and an address option, not one option with an optional value: Click would take the path
# after `--ray` for the address ("add --ray FILE" failed with "Missing argument PATHS").
@click.option("--ray", "use_ray", is_flag=True,
              help="embed on Ray (newsrag[ray]): a local Ray instance unless --ray-address says")
@click.option("--ray-address", default=None, metavar="ADDRESS",
              help="the Ray cluster to embed on (e.g. ray://head:10001 or head:6379); implies --ray")
@click.option("--ray-workers", type=int, default=2, show_default=True, metavar="N",
              help="embedding actors on Ray (one GPU each where the cluster has GPUs)")
@pass_invocation
def cmd_add(run: Invocation, paths: tuple[str, ...], as_json: bool, use_ray: bool, ray_address: str | None,
            ray_workers: int) -> int:
    from rag.web.article import fetch_articles, is_url

    settings = run.settings()
    app = open_app(settings)
    ingestor = app.ingestor
    if use_ray or ray_address:
        from rag.ray_embed import RayEmbedStream

        # The app's own ingestor, embedding elsewhere: the same store, chunker and limits.
        ingestor = ingestor.embedding_with(RayEmbedStream(settings.embed_model, address=ray_address or None,
                                                          workers=ray_workers, batch_size=settings.embed_batch_size))
    urls = [p for p in paths if is_url(p)]
    files = [Path(p) for p in paths if not is_url(p)]
    items = itertools.chain(ingestor.load(files) if files else (),
                            fetch_articles(app.fetcher, urls, ingestor.limits))
    with ingest_progress("adding") as progress:
        report = ingestor.add_documents(items, progress)
    if as_json:
        print(json.dumps({
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "duplicates": [{"id": a, "duplicate_of": b} for a, b in report.duplicates],
            "errors": [str(e) for e in report.errors], "chunks": report.chunks,
            "embedded": report.embedded, "seconds": round(report.seconds, 3),
        }, indent=2))
    else:
        print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
              f"duplicates {len(report.duplicates)}, errors {len(report.errors)}; "
              f"{report.chunks} chunks ({report.embedded} embedded) in {report.seconds:.1f}s")
        for doc_id, twin in report.duplicates:
            print(f"  skipped {doc_id}: same content as {twin}")
    for error in report.errors:
        print(f"newsrag: error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


@cli.command("remove", help="remove documents by id")
@click.argument("ids", nargs=-1, required=True)
@pass_invocation
def cmd_remove(run: Invocation, ids: tuple[str, ...]) -> int:
    app = open_app(run.settings(), seed=False)
    missing = [doc_id for doc_id in dict.fromkeys(ids) if app.store.content_hash(doc_id) is None]
    # One call for all ids: the vector file is the whole FAISS index, written once, not once per id.
    removed = app.ingestor.remove_many(doc_id for doc_id in ids if doc_id not in missing)
    for doc_id in missing:
        print(f"newsrag: error: no document with id {doc_id!r}", file=sys.stderr)
    print(f"removed {removed}")
    return 1 if missing else 0


@cli.command("list", help="list the indexed documents")
@click.option("--json", "as_json", is_flag=True, help="print the list as JSON")
@pass_invocation
def cmd_list(run: Invocation, as_json: bool) -> int:
    app = open_app(run.settings())
    docs = app.store.documents()
    if as_json:
        print(json.dumps([{"id": d.id, "title": d.title, "published": d.published, "url": d.url,
                           "source": d.source, "chunks": d.chunks} for d in docs], indent=2))
        return 0
    for d in docs:
        print(f"{d.id}\t{d.published or '-':10}\t{d.chunks:4d} chunks\t{d.title}")
    print(f"{len(docs)} documents, {sum(d.chunks for d in docs)} chunks")
    return 0


@cli.command("ask", help="ask a question; the answer streams, then its sources")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead")
@click.option("--as-of", callback=_iso_date, metavar="YYYY-MM-DD",
              help="answer about the news as of this date")
@retrieval_options
@pass_invocation
def cmd_ask(run: Invocation, question: str, as_json: bool, as_of: str | None, top_k: int | None,
            retriever: str | None) -> int:
    from rag.records import Answer
    from rag.render_text import answer_json, sources_text, window_text

    from rag.pipeline import checked_question

    settings = run.settings(top_k=top_k, retriever=retriever)
    checked_question(question, settings.max_question_chars)  # before loading anything
    app = open_app(settings)
    answer = None
    streamed = []
    for item in app.pipeline.stream(question, as_of=as_of):
        if isinstance(item, Answer):
            answer = item
        elif not as_json:
            streamed.append(item)
            print(item, end="", flush=True)
    assert answer is not None
    from rag.stories.corroboration import corroborate

    corroboration = corroborate(app.stories, [c.passage.doc_id for c in answer.citations])
    if as_json:
        print(json.dumps(answer_json(answer, corroboration), indent=2, ensure_ascii=False))
        return 0
    print()
    if answer.window is not None:
        print(window_text(answer.window), file=sys.stderr)
    if _normalised(answer.text) != _normalised("".join(streamed)):
        print(f"\nChecked answer: {answer.text}")
    print(sources_text(answer, corroboration=corroboration))
    return 0


def _normalised(text: str) -> str:
    """Text without white space, for telling whether the checks changed more than spacing."""
    return re.sub(r"\s+", "", re.sub(r"\s*(\[\d+\])\s*([.!?]?)", r"\2\1", text))


@cli.command("check", help="verify the store; --repair rebuilds the keyword and vector indexes")
@click.option("--repair", is_flag=True, help="rebuild what can be derived (keyword table, vector file)")
@pass_invocation
def cmd_check(run: Invocation, repair: bool) -> int:
    app = open_app(run.settings(), seed=False)
    report = app.store.check(repair=repair)
    print(f"{report.documents} documents, {report.chunks} chunks, {report.vectors} vectors")
    for problem in report.problems:
        print(f"problem: {problem}")
    for fix in report.repaired:
        print(f"repaired: {fix}")
    print("ok" if report.ok else "problems remain" + ("" if repair else " (try --repair)"))
    return 0 if report.ok else 1


if __name__ == "__main__":
    # `python -m rag.cli` runs this file as __main__: run the importable rag.cli instead, so the
    # commands of other packages (which import rag.cli) meet the same objects.
    from rag.cli import main as _main

    sys.exit(_main())
