"""The `newsrag eval` command: run a benchmark, or compare two runs.

    newsrag eval QUESTIONS.jsonl [--corpus CORPUS.jsonl] [--out DIR] [--retriever R] [--top-k N]
                 [--chunk-size N] [--chunk-overlap N] [--model M] [--limit N] [--naive]
                 [--ignore-dates] [--no-progress]
    newsrag eval --compare RUN_A RUN_B

A Click command, listed in ``rag.cli.COMMANDS``. Parsing and printing only; the work is in
rag.eval.benchmark and rag.eval.compare. Errors are raised as the project's exceptions and
turned into messages by rag.cli's entry point.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rag.cli import Invocation, pass_invocation
from rag.errors import ConfigError
from rag.settings import RETRIEVERS

_SHOWN = ("accuracy", "cited_accuracy", "abstain_rate", "citation_precision", "citation_coverage",
          "bare_citation_rate", "doc_mrr", "text_mrr", "first_token_p50_s", "first_token_p95_s",
          "latency_p50_s", "latency_p95_s", "tokens_per_s", "retrieval_p50_s", "evidence_p50_s",
          "reading_p50_s", "wrong_citing_stale")
_PATH = click.Path(path_type=Path)


@click.command("eval", help="run a question file through newsrag and score it, or compare two runs",
               epilog="Answers every question of a JSONL file, writes results.jsonl, config.json and "
                      "report.{json,md,png} to a run folder, and prints the metrics. Reruns resume.")
@click.argument("questions", required=False, type=_PATH, metavar="QUESTIONS.jsonl")
@click.option("--corpus", type=_PATH, metavar="CORPUS.jsonl",
              help="index this corpus file (built once, reused by later runs) instead of the normal data")
@click.option("--out", type=_PATH, metavar="DIR",
              help="run folder (default: runs/<folder>-<questions>-<retriever>-k<top-k>-c<chunk>-<model>)")
@click.option("--retriever", type=click.Choice(RETRIEVERS), help="hybrid (default), dense or keyword")
@click.option("--top-k", type=int, help="passages to retrieve")
@click.option("--chunk-size", type=int, help="characters per chunk (with --corpus, the index is built with it)")
@click.option("--chunk-overlap", type=int, help="characters shared by neighbouring chunks")
# Overrides `newsrag --model M eval ...` only when given here.
@click.option("--model", help="qwen2.5-1.5b (default), smollm2-135m, or a path to a GGUF file")
@click.option("--limit", type=int, help="only the first N questions")
@click.option("--naive", is_flag=True,
              help="the naive baseline: 1000/150 chunks, dense top-4, whole passages, plain prompt, "
                   "no citation checks (flags given explicitly still win)")
@click.option("--ignore-dates", is_flag=True,
              help="do not pass each question's asked_on to the pipeline as its as-of date")
@click.option("--no-progress", is_flag=True, help="no progress bar")
@click.option("--compare", nargs=2, type=_PATH, metavar="RUN_A RUN_B",
              help="print metric deltas and flipped questions between two run folders")
@pass_invocation
def eval_command(run: Invocation, questions: Path | None, corpus: Path | None, out: Path | None,
                 retriever: str | None, top_k: int | None, chunk_size: int | None, chunk_overlap: int | None,
                 model: str | None, limit: int | None, naive: bool, ignore_dates: bool, no_progress: bool,
                 compare: tuple[Path, Path] | None) -> int:
    settings = run.settings(model=model)
    if compare:
        if questions is not None:
            raise ConfigError("give either QUESTIONS.jsonl or --compare RUN_A RUN_B, not both")
        from rag.eval.compare import compare as compare_runs, format_comparison

        print(format_comparison(compare_runs(*compare)))
        return 0
    if questions is None:
        raise ConfigError("eval needs QUESTIONS.jsonl (or --compare RUN_A RUN_B)")
    from rag.eval.benchmark import EvalOptions, naive_settings, run_eval

    overrides = {k: v for k, v in (("retriever", retriever), ("top_k", top_k),
                                   ("chunk_size", chunk_size), ("chunk_overlap", chunk_overlap))
                 if v is not None}
    settings = naive_settings(settings, overrides) if naive else settings.replace(**overrides)
    if corpus is None and (chunk_size is not None or chunk_overlap is not None):
        print("newsrag: note: chunk settings apply to documents added from now on; "
              "use --corpus for an index built with them", file=sys.stderr)
    options = EvalOptions(questions, out, corpus, naive, limit, progress=not no_progress, dates=not ignore_dates)
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
