"""The `newsrag` command line: add, remove, list, ask (and the subcommands other modules add).

This is the entry point: it builds the settings from flags, the config file and the environment,
wires the app, and is one of the two places (with the UI) where errors become user messages.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Sequence

from index.errors import NewsragError
from rag.progress import ingest_progress
from rag.settings import RETRIEVERS, Settings, load_settings

# (name, module, function): each function registers one subcommand on the subparsers object.
# Imported only when the parser is built, and those modules import nothing heavy at the top.
EXTRA_COMMANDS: list[tuple[str, str]] = [
    ("ui.cli", "register"),
    ("rag.eval.cli", "register"),

]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(
            os.environ,
            args.config,
            data_dir=args.data_dir,
            model=args.model,
            top_k=getattr(args, "top_k", None),
            retriever=getattr(args, "retriever", None),
        )
        return int(args.handler(args, settings) or 0)
    except NewsragError as exc:
        print(f"newsrag: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("newsrag: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsrag", description="Ask questions about your news, offline, with citations.")
    parser.add_argument("--data-dir", type=Path, help="where the index lives (default: your user data folder; NEWSRAG_DATA_DIR)")
    parser.add_argument("--config", type=Path, help="a TOML settings file (NEWSRAG_CONFIG)")
    parser.add_argument("--model", help="qwen2.5-1.5b (default), smollm2-135m, or a path to any GGUF file")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    add = sub.add_parser("add", help="add files or folders (.txt .md .html .jsonl .pdf)")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--json", action="store_true", help="print the report as JSON")
    add.set_defaults(handler=cmd_add)

    rm = sub.add_parser("remove", help="remove documents by id")
    rm.add_argument("ids", nargs="+")
    rm.set_defaults(handler=cmd_remove)

    ls = sub.add_parser("list", help="list the indexed documents")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_list)

    ask = sub.add_parser("ask", help="ask a question; the answer streams, then its sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead")
    ask.add_argument("--as-of", type=iso_date, help="answer about the news as of this date (YYYY-MM-DD)")
    add_retrieval_options(ask)
    ask.set_defaults(handler=cmd_ask)

    chk = sub.add_parser("check", help="verify the store; --repair rebuilds the keyword and vector indexes")
    chk.add_argument("--repair", action="store_true")
    chk.set_defaults(handler=cmd_check)

    for module_name, function in EXTRA_COMMANDS:
        module = __import__(module_name, fromlist=[function])
        getattr(module, function)(sub)
    return parser


def iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_retrieval_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top-k", type=int, help="passages to retrieve")
    parser.add_argument("--retriever", choices=RETRIEVERS, help="hybrid (default), dense or keyword")


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


def cmd_add(args, settings: Settings) -> int:
    app = open_app(settings)
    with ingest_progress("adding") as progress:
        report = app.ingestor.add(args.paths, progress)
    if args.json:
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


def cmd_remove(args, settings: Settings) -> int:
    app = open_app(settings, seed=False)
    missing = [doc_id for doc_id in args.ids if not app.ingestor.remove(doc_id)]
    for doc_id in missing:
        print(f"newsrag: error: no document with id {doc_id!r}", file=sys.stderr)
    print(f"removed {len(args.ids) - len(missing)}")
    return 1 if missing else 0


def cmd_list(args, settings: Settings) -> int:
    app = open_app(settings)
    docs = app.store.documents()
    if args.json:
        print(json.dumps([{"id": d.id, "title": d.title, "published": d.published, "url": d.url,
                           "source": d.source, "chunks": d.chunks} for d in docs], indent=2))
        return 0
    for d in docs:
        print(f"{d.id}\t{d.published or '-':10}\t{d.chunks:4d} chunks\t{d.title}")
    print(f"{len(docs)} documents, {sum(d.chunks for d in docs)} chunks")
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from rag.render_text import answer_json, sources_text
    from rag.records import Answer

    app = open_app(settings)
    answer = None
    streamed = []
    for item in app.pipeline.stream(args.question, as_of=args.as_of):
        if isinstance(item, Answer):
            answer = item
        elif not args.json:
            streamed.append(item)
            print(item, end="", flush=True)
    assert answer is not None
    if args.json:
        print(json.dumps(answer_json(answer), indent=2, ensure_ascii=False))
        return 0
    print()
    if _normalised(answer.text) != _normalised("".join(streamed)):
        print(f"\nChecked answer: {answer.text}")
    print(sources_text(answer))
    return 0


def _normalised(text: str) -> str:
    """Text without white space, for telling whether the checks changed more than spacing."""
    return re.sub(r"\s+", "", re.sub(r"\s*(\[\d+\])\s*([.!?]?)", r"\2\1", text))


def cmd_check(args, settings: Settings) -> int:
    from index.check import check_store

    app = open_app(settings, seed=False)
    report = check_store(app.store, repair=args.repair)
    print(f"{report.documents} documents, {report.chunks} chunks, {report.vectors} vectors")
    for problem in report.problems:
        print(f"problem: {problem}")
    for fix in report.repaired:
        print(f"repaired: {fix}")
    print("ok" if report.ok else "problems remain" + ("" if args.repair else " (try --repair)"))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
