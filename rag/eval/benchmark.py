"""One benchmark run, end to end: settings, index, questions, results, report.

With a corpus file, the index lives in its own data directory derived from the corpus path, the
chunk settings and the embedding model (``<data_dir>/eval-indexes/<hash>``), so a rerun reuses
it: an unchanged file (same size and mtime) is not even re-read, and a changed one re-adds only
changed articles and drops articles no longer in the file. The run folder holds results.jsonl,
config.json (the settings used) and the reports; rerunning into it resumes, and refuses when the
answer-affecting settings differ. Not here: argument parsing and printing (rag.eval.cli).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rag.chunking import VERSION as CHUNKER_VERSION
from rag.errors import ConfigError, InputError
from rag.eval.metrics import DEFAULT_KS, Metrics, score
from rag.eval.naive import NaivePipeline
from rag.eval.questions import load_questions
from rag.eval.report import write_report
from rag.eval.results import read_results
from rag.eval.runner import RunSummary, run_questions
from rag.progress import ingest_progress
from rag.settings import Settings

# The naive baseline's method, as the project brief defines it.
NAIVE = {"chunk_size": 1000, "chunk_overlap": 150, "retriever": "dense", "top_k": 4}
RESULTS, CONFIG = "results.jsonl", "config.json"
# Settings that change answers: resuming a run folder with different ones would mix two runs.
ANSWER_KEYS = ("naive", "dates", "corpus", "chunk_size", "chunk_overlap", "embed_model", "retriever",
               "top_k", "candidates", "rrf_k", "min_evidence", "ann_threshold", "model", "n_ctx",
               "max_tokens", "temperature", "context_chars", "time_windows", "time_window_weight", "as_of_grace_days",
               "as_of_half_days")
_STAMP = "eval_corpus_stamp"
# Pruning after a read that found under this share of the indexed articles is taken for a broken
# or wrong file, not a smaller corpus: re-embedding what it would drop takes hours.
PRUNE_FLOOR = 0.5


@dataclass(frozen=True)
class EvalOptions:
    questions: Path
    out: Path | None = None  # None: runs/<folder>-<questions>-<method>... under the current folder
    corpus: Path | None = None
    naive: bool = False
    limit: int | None = None
    progress: bool = True
    dates: bool = True  # pass each question's asked_on to the pipeline as its as-of date


@dataclass(frozen=True)
class EvalOutcome:
    run_dir: Path
    summary: RunSummary
    metrics: Metrics
    files: tuple[Path, ...]
    index_dir: Path | None
    ingest_errors: tuple[str, ...] = ()


def run_eval(options: EvalOptions, settings: Settings, *,
             build: Callable[[Settings], Any] | None = None) -> EvalOutcome:
    """Run (or resume) the benchmark that ``options`` and ``settings`` describe, then report."""
    questions = load_questions(options.questions)
    if options.limit is not None:
        if options.limit < 1:
            raise ConfigError(f"--limit {options.limit}: must be a positive number")
        questions = questions[: options.limit]
    index_dir = None
    if options.corpus is not None:
        if not Path(options.corpus).is_file():
            raise InputError(options.corpus, "not found or not a file: --corpus takes one file, like corpus.jsonl")
        index_dir = eval_index_dir(settings, Path(options.corpus))
        settings = settings.replace(data_dir=index_dir, index_corpus_on_first_run=False)
    run_dir = Path(options.out) if options.out else default_run_dir(options, settings)
    config = run_config(options, settings)
    _check_resumable(run_dir, config)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    if build is None:
        from rag.wiring import build
    app = build(settings)
    try:
        errors: tuple[str, ...] = ()
        if options.corpus is not None:
            errors = index_corpus(app, Path(options.corpus), options.progress)
        elif settings.index_corpus_on_first_run:
            report = app.index_shipped_corpus()
            errors = tuple(str(e) for e in report.errors) if report else ()
        if options.naive:
            # The app's own generator: the same model and settings, and no second copy of it.
            ask = NaivePipeline(app.retriever, app.pipeline.generator, top_k=settings.top_k,
                                mode=settings.retriever).stream
        else:
            ask = app.pipeline.stream
        summary = run_questions(ask, questions, run_dir / RESULTS, progress=options.progress,
                                dates=options.dates)
    finally:
        app.store.close()

    results = read_results(run_dir / RESULTS)
    metrics, judged = score(questions, results, sorted(set(DEFAULT_KS) | {settings.top_k}))
    files = write_report(run_dir, metrics, judged, results, config)
    return EvalOutcome(run_dir, summary, metrics, (run_dir / RESULTS, run_dir / CONFIG, *files),
                       index_dir, errors)


def naive_settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """The naive baseline's settings; explicit command-line overrides still win."""
    return settings.replace(**{**NAIVE, **overrides})


def eval_index_dir(settings: Settings, corpus: Path) -> Path:
    key = json.dumps({"corpus": str(corpus.resolve()), "chunk_size": settings.chunk_size,
                      "chunk_overlap": settings.chunk_overlap, "embed_model": settings.embed_model,
                      "chunker": CHUNKER_VERSION},
                     sort_keys=True)
    return settings.data_dir / "eval-indexes" / hashlib.sha256(key.encode()).hexdigest()[:16]


def index_corpus(app: Any, corpus: Path, progress: bool) -> tuple[str, ...]:
    """Bring the eval index in step with the corpus file; returns the lines that failed to load."""
    stat = corpus.stat()
    stamp = f"{corpus.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    if app.store.meta(_STAMP) == stamp:
        return ()
    with ingest_progress(f"indexing {corpus.name}", enabled=progress) as update:
        report = app.ingestor.add([corpus], update)
    seen = set(report.added) | set(report.updated) | set(report.unchanged) | {a for a, _ in report.duplicates}
    indexed = app.store.documents()
    gone = [doc.id for doc in indexed if doc.id not in seen]
    if not seen or (gone and len(seen) < PRUNE_FLOOR * len(indexed)):
        first = f"; first: {report.errors[0]}" if report.errors else ""
        raise InputError(corpus, f"only {len(seen):,} articles read ({len(report.errors):,} errors{first}) where "
                                 f"the index holds {len(indexed):,}: not removing the other {len(gone):,}. "
                                 f"Fix the file, or delete {app.settings.data_dir} to index it from scratch")
    # The folder belongs to this corpus alone, so anything else in it was deleted from the file.
    app.ingestor.remove_many(gone)
    app.store.set_meta(_STAMP, stamp)
    return tuple(str(e) for e in report.errors)


def default_run_dir(options: EvalOptions, settings: Settings) -> Path:
    model = re.sub(r"[^\w.-]+", "_", Path(settings.model).stem if settings.model.endswith(".gguf") else settings.model)
    method = "naive" if options.naive else settings.retriever
    # The folder name too, since benchmark sets tend to call their files just questions.jsonl.
    questions = Path(options.questions).resolve()
    name = f"{questions.parent.name}-{questions.stem}-{method}-k{settings.top_k}-c{settings.chunk_size}-{model}"
    return Path("runs") / name  # runs/ is git-ignored in the project


def run_config(options: EvalOptions, settings: Settings) -> dict[str, Any]:
    values = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()}
    for secret in ("auth",):  # the config file is meant to be shared next to the numbers
        values.pop(secret, None)
    corpus = str(Path(options.corpus).resolve()) if options.corpus else None
    return {"questions": str(Path(options.questions).resolve()), "corpus": corpus,
            "naive": options.naive, "dates": options.dates, "limit": options.limit, **values}


def _check_resumable(run_dir: Path, config: dict[str, Any]) -> None:
    path = run_dir / CONFIG
    if not (run_dir / RESULTS).exists() or not path.exists():
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read the previous run's settings: {exc}") from None
    # A key the old run did not record (an older newsrag) is not held against it.
    changed = [f"{k}: {before[k]!r} -> {config.get(k)!r}" for k in ANSWER_KEYS
               if k in before and before[k] != config.get(k)]
    if changed:
        raise ConfigError(f"{run_dir} holds a run with other settings ({'; '.join(changed)}): "
                          "choose another --out, or delete that folder to start over")
