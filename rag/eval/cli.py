"""The `newsrag eval` subcommand: run a benchmark, or compare two runs.

    newsrag eval QUESTIONS.jsonl [--corpus CORPUS.jsonl] [--out DIR] [--retriever R] [--top-k N]
                 [--chunk-size N] [--chunk-overlap N] [--model M] [--limit N] [--naive]
                 [--ignore-dates] [--no-progress]
    newsrag eval --compare RUN_A RUN_B

Parsing and printing only; the work is in rag.eval.benchmark and rag.eval.compare. Errors are
raised as the project's exceptions and turned into messages by rag.cli's entry point.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import RETRIEVERS, Settings

_SHOWN = ("accuracy", "cited_accuracy", "abstain_rate", "citation_precision", "citation_coverage",
          "bare_citation_rate", "doc_mrr", "text_mrr", "first_token_p50_s", "first_token_p95_s",
          "latency_p50_s", "latency_p95_s", "tokens_per_s")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="run a question file through newsrag and score it, or compare two runs",
        description="Answer every question of a JSONL file, write results.jsonl, config.json and "
                    "report.{json,md,png} to a run folder, and print the metrics. Reruns resume.")
    p.add_argument("questions", nargs="?", type=Path, metavar="QUESTIONS.jsonl",
                   help="one JSON object per line: id, question, optional answer, distractors, "
                        "answer_doc_ids, asked_on")
    p.add_argument("--corpus", type=Path, metavar="CORPUS.jsonl",
                   help="index this corpus file (built once, reused by later runs) instead of the normal data")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="run folder (default: runs/<folder>-<questions>-<retriever>-k<top-k>-c<chunk>-<model>)")
    p.add_argument("--retriever", choices=RETRIEVERS, help="hybrid (default), dense or keyword")
    p.add_argument("--top-k", type=int, help="passages to retrieve")
    p.add_argument("--chunk-size", type=int,
                   help="characters per chunk (with --corpus, the index is built with it)")
    p.add_argument("--chunk-overlap", type=int, help="characters shared by neighbouring chunks")
    # SUPPRESS, so `newsrag --model M eval ...` is not reset to None by this parser's default.
    p.add_argument("--model", default=argparse.SUPPRESS,
                   help="qwen2.5-1.5b (default), smollm2-135m, or a path to a GGUF file")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--naive", action="store_true",
                   help="the naive baseline: 1000/150 chunks, dense top-4, whole passages, plain prompt, "
                        "no citation checks (flags given explicitly still win)")
    p.add_argument("--ignore-dates", action="store_true",
                   help="do not pass each question's asked_on to the pipeline as its as-of date")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                   help="print metric deltas and flipped questions between two run folders")
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.compare:
        if args.questions is not None:
            raise ConfigError("give either QUESTIONS.jsonl or --compare RUN_A RUN_B, not both")
        from rag.eval.compare import compare, format_comparison

        print(format_comparison(compare(*args.compare)))
        return 0
    if args.questions is None:
        raise ConfigError("eval needs QUESTIONS.jsonl (or --compare RUN_A RUN_B)")
    from rag.eval.benchmark import EvalOptions, naive_settings, run_eval

    overrides = {k: v for k, v in (("retriever", args.retriever), ("top_k", args.top_k),
                                   ("chunk_size", args.chunk_size), ("chunk_overlap", args.chunk_overlap))
                 if v is not None}
    settings = naive_settings(settings, overrides) if args.naive else settings.replace(**overrides)
    if args.corpus is None and (args.chunk_size is not None or args.chunk_overlap is not None):
        print("newsrag: note: chunk settings apply to documents added from now on; "
              "use --corpus for an index built with them", file=sys.stderr)
    options = EvalOptions(args.questions, args.out, args.corpus, args.naive, args.limit,
                          progress=not args.no_progress, dates=not args.ignore_dates)
    outcome = run_eval(options, settings)
    for error in outcome.ingest_errors:
        print(f"newsrag: skipped {error}", file=sys.stderr)
    s = outcome.summary
    print(f"{s.questions} questions: {s.skipped} already done, {s.answered} answered now, "
          f"{s.failed} failed, in {s.seconds:.1f}s")
    numbers = outcome.metrics.as_dict()
    shown = [k for k in numbers if k in _SHOWN or "recall@" in k]
    width = max(len(k) for k in shown)
    for key in shown:
        value = numbers[key]
        print(f"{key:>{width}}: {'n/a' if value is None else value}")
    print(f"run folder: {outcome.run_dir}" + (f" (index: {outcome.index_dir})" if outcome.index_dir else ""))
    return 1 if s.failed else 0
