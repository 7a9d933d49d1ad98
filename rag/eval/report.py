"""Write a run's report: report.json (numbers), report.md (for people) and report.png (a plot).

The plot has two panels: answer and retrieval rates as bars, and the distribution of total and
first-token latency as histograms. Matplotlib runs on its file-only Agg backend, so no display is
needed. Not here: computing the metrics (rag.eval.metrics).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from rag.eval.formatting import fmt, short
from rag.eval.metrics import STALE_DAYS, Judged, Metrics

_LABELS = {
    "accuracy": "accuracy", "cited_accuracy": "cited accuracy", "abstain_rate": "abstain rate",
    "citation_precision": "citation precision", "citation_coverage": "citation coverage",
    "bare_citation_rate": "bare-citation answers", "doc_mrr": "doc MRR", "text_mrr": "text MRR",
    "latency_p50_s": "latency p50 (s)", "latency_p95_s": "latency p95 (s)",
    "first_token_p50_s": "first token p50 (s)", "first_token_p95_s": "first token p95 (s)",
    "tokens_per_s": "tokens per second",
    "retrieval_p50_s": "first token: retrieval p50 (s)", "evidence_p50_s": "first token: evidence p50 (s)",
    "reading_p50_s": "first token: prompt read + first token p50 (s)",
    "wrong_citing_stale": f"wrong answers citing an article > {STALE_DAYS} days older than the question",
}
_HOW = """\
- accuracy: the answer names the gold answer and no distractor (the benchmark scorer's rule); \
without distractors, it contains an accepted answer. Abstentions are wrong; so are missing results.
- cited accuracy: accurate, and a cited passage contains the gold answer.
- citation precision: share of (sentence, citation) pairs whose cited evidence span supports the \
sentence: at least half of the sentence's content words occur in the span or its article title \
(rag.citations.support >= SUPPORT).
- citation coverage: share of answer sentences that carry a citation.
- recall@k / MRR: by document, a retrieved passage comes from a gold article; by text, the passage \
contains the gold answer."""


def write_report(run_dir: Path, metrics: Metrics, judged: Sequence[Judged],
                 results: Mapping[str, Mapping[str, Any]], config: Mapping[str, Any]) -> list[Path]:
    run_dir = Path(run_dir)
    numbers = metrics.as_dict()
    json_path, md_path, png_path = run_dir / "report.json", run_dir / "report.md", run_dir / "report.png"
    json_path.write_text(json.dumps({"metrics": numbers, "config": dict(config)}, indent=2) + "\n",
                         encoding="utf-8")
    md_path.write_text(markdown(metrics, judged, results, config), encoding="utf-8")
    plot(metrics, judged, png_path, title=_title(config), k=config.get("top_k"))
    return [json_path, md_path, png_path]


def markdown(metrics: Metrics, judged: Sequence[Judged], results: Mapping[str, Mapping[str, Any]],
             config: Mapping[str, Any]) -> str:
    m = metrics.as_dict()
    lines = [f"# Evaluation: {_title(config)}", ""]
    lines += [f"- questions: {config.get('questions')} ({metrics.questions}; answered {metrics.answered}, "
              f"with a gold answer {metrics.with_gold})",
              f"- corpus: {config.get('corpus') or '(the normal data directory)'}",
              f"- pipeline: {'naive baseline' if config.get('naive') else 'newsrag'}; model {config.get('model')}; "
              f"retriever {config.get('retriever')}, top-k {config.get('top_k')}; "
              f"chunks {config.get('chunk_size')}/{config.get('chunk_overlap')}",
              "- question dates: " + ("not used (the baseline ignores them)" if config.get("naive") else
                                      "used as the as-of date" if config.get("dates", True) else "ignored"), ""]
    lines += ["| answers | value |", "| --- | --- |"]
    for key in ("accuracy", "cited_accuracy", "abstain_rate", "citation_precision", "citation_coverage",
                "bare_citation_rate", "wrong_citing_stale"):
        lines.append(f"| {_LABELS[key]} | {fmt(m[key])} |")
    ks = sorted({int(key.split("@")[1]) for key in metrics.recall})
    lines += ["", "| retrieval | " + " | ".join(f"@{k}" for k in ks) + " | MRR |",
              "| --- |" + " --- |" * (len(ks) + 1)]
    for kind in ("doc", "text"):
        cells = [fmt(m[f"{kind}_recall@{k}"]) for k in ks]
        lines.append(f"| by {'document' if kind == 'doc' else 'answer text'} | " + " | ".join(cells)
                     + f" | {fmt(m[f'{kind}_mrr'])} |")
    lines += ["", "| speed | value |", "| --- | --- |"]
    for key in ("first_token_p50_s", "first_token_p95_s", "retrieval_p50_s", "evidence_p50_s", "reading_p50_s",
                "latency_p50_s", "latency_p95_s", "tokens_per_s"):
        lines.append(f"| {_LABELS[key]} | {fmt(m[key])} |")
    wrong = [j for j in judged if j.correct is False][:10]
    if wrong:
        lines += ["", f"## Wrong answers (first {len(wrong)})", "", "| id | gold | answer |", "| --- | --- | --- |"]
        for j in wrong:
            r = results.get(j.id, {})
            gold = r.get("gold_answer")
            gold = " / ".join(gold) if isinstance(gold, list) else gold
            said = r.get("error") or r.get("answer") or "(no result)"
            lines.append(f"| {j.id} | {_cell(str(gold or ''))} | {_cell(str(said))} |")
    lines += ["", "## How these are measured", "", _HOW, ""]
    return "\n".join(lines)


def plot(metrics: Metrics, judged: Sequence[Judged], path: Path, title: str = "", k: int | None = None) -> None:
    """Bars for the rates (recall at ``k``, the run's top-k), histograms for the latencies."""
    import matplotlib

    matplotlib.use("Agg")  # file output only; must precede pyplot's import
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    m = metrics.as_dict()
    if f"doc_recall@{k}" not in m:
        k = max(int(key.split("@")[1]) for key in metrics.recall)
    names = ["accuracy", "cited_accuracy", "citation_precision", "citation_coverage", "abstain_rate",
             f"doc_recall@{k}", f"text_recall@{k}"]
    values = [m[n] or 0.0 for n in names]
    labels = ["n/a" if m[n] is None else f"{m[n]:.2f}" for n in names]
    fig, (bars, hist) = plt.subplots(1, 2, figsize=(11, 4.2))
    try:
        colours = ["tab:blue"] * 5 + ["tab:green"] * 2
        drawn = bars.barh([_LABELS.get(n, n.replace("_", " ")) for n in names], values, color=colours)
        bars.bar_label(drawn, labels=labels, padding=3, fontsize=8)
        bars.set_xlim(0, 1.12)
        bars.invert_yaxis()
        bars.set_title("answers and retrieval")
        totals = [j.latency_s for j in judged if j.latency_s is not None]
        firsts = [j.first_token_s for j in judged if j.first_token_s is not None]
        if totals:
            bins = min(30, max(5, len(totals) // 3))
            hist.hist([firsts, totals], bins=bins, label=["first token", "total"], color=["tab:orange", "tab:purple"])
            hist.legend()
        else:
            hist.text(0.5, 0.5, "no timings", ha="center", va="center", transform=hist.transAxes)
        hist.set_xlabel("seconds per question")
        hist.set_ylabel("questions")
        hist.yaxis.set_major_locator(MaxNLocator(integer=True))
        hist.set_title("latency")
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def _title(config: Mapping[str, Any]) -> str:
    kind = "naive" if config.get("naive") else config.get("retriever", "?")
    path = Path(str(config.get("questions", "questions")))
    name = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    return f"{name}, {kind}, top-{config.get('top_k')}, {config.get('model')}"


def _cell(text: str, limit: int = 120) -> str:
    """``text`` for a Markdown table cell: one line, short, its pipes escaped."""
    return short(text, limit).replace("|", "\\|")
