"""Questions about time, retrieval only: with and without the date window, and as-of rules.

    .venv/bin/python bench/time_questions.py QUESTIONS.jsonl --corpus CORPUS.jsonl [--k 5]
        [--years 2022] [--grid]

Splits the questions into those with a time expression (rag.timeexpr finds a window) and those
without, and prints doc_recall@k and text_recall@k for each group under: no dates at all, the
old fixed as-of curve (drop > 7 days after as-of, halve every 60 days), the as-of rule in the
settings, and the settings plus the date window (preferred with the settings' weight).
``--split-out PATH`` only writes the questions with a time expression to PATH (for `newsrag eval`).
``--years`` keeps only questions asked in those years (to tune on one split and report on the
other); ``--grid`` also prints both recalls of the time questions for a range of window weights,
and text_recall@k for every as-of rule of a grid of grace days and half-lives, over the
questions without a window.
No language model runs. Uses the index `newsrag eval --corpus` builds (NEWSRAG_DATA_DIR).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.records import day_of  # noqa: E402
from rag.asof import AsOfRule  # noqa: E402
from rag.eval.benchmark import eval_index_dir, index_corpus  # noqa: E402
from rag.eval.judge import contains_gold  # noqa: E402
from rag.eval.questions import load_questions  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.timeexpr import resolve_window  # noqa: E402
from rag.wiring import as_of_rule, build  # noqa: E402

GRACE = (-1, 0, 3, 7, 14, 30)
WEIGHTS = (0.5, 0.75, 1.0, 1.25, 1.5)
settings_weight = 1.0
HALF = (0, 30, 60, 180, 365, 730)


def recall(app, questions, vectors, k: int, *, windows: bool, rule: AsOfRule | None,
           weight: float | None = None) -> tuple[float, float]:
    r = app.retriever
    r.time_windows = windows
    r.window_weight = settings_weight if weight is None else weight
    if rule is not None:
        r.as_of_rule = rule
    doc = text = 0
    for q, vec in zip(questions, vectors):
        passages = r.retrieve(q.question, top_k=k, query_vector=vec, as_of=q.asked_on if rule else None)
        doc += any(p.doc_id in q.answer_doc_ids for p in passages)
        text += any(contains_gold(p.text, q.answers) for p in passages)
    n = max(1, len(questions))
    return doc / n, text / n


def dated_questions(path: Path, years: list[int] | None) -> list:
    return [q for q in load_questions(path) if q.has_answer and q.asked_on
            and (not years or int(q.asked_on[:4]) in years)]


def has_window(q) -> bool:
    return resolve_window(q.question, day_of(q.asked_on)) is not None


def write_split(path: Path, out: Path, years: list[int] | None) -> None:
    timed = {q.id for q in dated_questions(path, years) if has_window(q)}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line).get("id") in timed]
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} questions with a time expression written to {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--years", type=int, nargs="*", help="only questions asked in these years")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--keyword-only", action="store_true",
                    help="BM25 alone, on an index built without embeddings (minutes instead of the "
                         "better part of an hour on 2 busy cores)")
    ap.add_argument("--split-out", type=Path, metavar="PATH",
                    help="only write the questions with a time expression (their lines as given) to PATH, "
                         "for `newsrag eval` with and without the window")
    args = ap.parse_args()
    if args.split_out:
        write_split(args.questions, args.split_out, args.years)
        return
    base = load_settings(os.environ)
    index_dir = eval_index_dir(base, args.corpus)
    if args.keyword_only:
        settings = base.replace(data_dir=index_dir.with_name(index_dir.name + "-keyword"),
                                index_corpus_on_first_run=False, retriever="keyword")
        app = build(settings, embedder=_NoVectors())
    else:
        settings = base.replace(data_dir=index_dir, index_corpus_on_first_run=False)
        app = build(settings)
    index_corpus(app, args.corpus, progress=True)
    questions = dated_questions(args.questions, args.years)
    timed = [q for q in questions if has_window(q)]
    plain = [q for q in questions if q not in timed]
    embed = {q.id: v for q, v in zip(questions, app.embedder.embed([q.question for q in questions]))}
    groups = {"with a time expression": timed, "without": plain, "all": questions}
    global settings_weight
    settings_weight = settings.time_window_weight
    configured = as_of_rule(settings)
    variants = [("no dates", False, None), ("old curve (7d, 60d)", False, AsOfRule(7, 60.0)),
                (f"as-of rule ({configured.grace_days}d, {configured.half_days:g}d)", False, configured),
                (f"as-of rule + window (w {settings_weight:g})", True, configured)]
    print(f"{len(questions)} questions (years {args.years or 'all'}), k={args.k}, "
          f"index of {app.store.counts()[1]} chunks; {settings.retriever} retriever")
    print(f"{'group':24}{'n':>5}  " + "".join(f"{name:>30}" for name, _, _ in variants))
    for label, group in groups.items():
        cells = []
        for _, windows, rule in variants:
            doc, text = recall(app, group, [embed[q.id] for q in group], args.k, windows=windows, rule=rule)
            cells.append(f"{f'doc {doc:.3f} text {text:.3f}':>30}")
        print(f"{label:24}{len(group):5}  " + "".join(cells))
    if args.grid:
        print(f"\ndoc_recall@{args.k} / text_recall@{args.k} of the {len(timed)} questions with a time expression, "
              f"by window weight (the as-of rule throughout; 1.5 is the hard filter)")
        vecs = [embed[q.id] for q in timed]
        for w in WEIGHTS:
            doc, text = recall(app, timed, vecs, args.k, windows=True, rule=configured, weight=w)
            print(f"  weight {w:<5g} doc {doc:.3f} text {text:.3f}")
        print(f"\ntext_recall@{args.k} / doc_recall@{args.k} of the {len(plain)} questions without a time "
              "expression, by as-of rule (grace days down, half-life days across; -1 and 0: none)")
        print(f"{'grace/half':>12}" + "".join(f"{h:>14}" for h in HALF))
        vecs = [embed[q.id] for q in plain]
        for g in GRACE:
            row = [recall(app, plain, vecs, args.k, windows=False, rule=AsOfRule(g, float(h))) for h in HALF]
            print(f"{g:>12}" + "".join(f"{text:8.3f}/{doc:.3f}" for doc, text in row))
        doc, text = recall(app, plain, vecs, args.k, windows=False, rule=None)
        print(f"{'no as-of':>12}{text:8.3f}/{doc:.3f}")


class _NoVectors:
    """Zero vectors: the keyword-only index needs rows, not meaning."""

    name, dim = "no-vectors", 8

    def embed(self, texts):
        import numpy as np

        return np.zeros((len(texts), self.dim), dtype=np.float32)

    def check_against(self, sample) -> None:
        pass


if __name__ == "__main__":
    main()
