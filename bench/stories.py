"""Stories and weekly briefs on a story set, scored beside the references, in one run.

    .venv/bin/python bench/stories.py BENCH_DIR --out DIR [--speed N] [--with-model [--model-weeks N]]

Indexes BENCH_DIR/corpus.jsonl through the real ingestion path (`Ingestor.add`, the default
models, the story hook) into DIR/data, a fresh data directory on the first run that later runs
reuse: the unchanged articles are skipped, and when the stories were made with other parameters
they are rebuilt from the stored article vectors, so re-scoring never re-embeds. Writes
DIR/clusters.jsonl (one line per article) and DIR/briefs.jsonl (one brief per week of
BENCH_DIR/weeks.jsonl, over the articles published from its ``from`` to its ``to``, most important
story first). Reads nothing else from BENCH_DIR (the scorer, ../score_stories.py, reads the labels).
Prints, for the whole set and each half (the weeks of each year), its own figures beside the
references computed in the same run: every article alone, one story per calendar week, the plain
online clustering (the title+lead vectors' centroid within 7 days at cosine >= 0.55), and the title
briefs. ``--speed N`` times `add` of the first N articles into two fresh directories, with and
without stories. ``--with-model`` also makes the briefs of ``--model-weeks`` weeks (default 2,
spread evenly over the set: the first and the last for 2) with the language model's summaries
(rag.stories.written, the default model, ``model`` of the settings), beside the extractive briefs
of the same weeks, scored on those weeks alone at 100 and 400 words, and times a week's brief
without the model, with it writing every summary (a fresh cache, DIR/model-summaries.db) and with
the summaries cached; it writes DIR/briefs-model.jsonl and DIR/briefs-extractive-subset.jsonl.
A few weeks hold a few dozen questions: their figures move by 0.1 with one story.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import story_scoring  # noqa: E402
from bench.stories_tune import MemoryStories  # noqa: E402
from index.records import Document  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stories.assign import StoryAssigner, StoryParams, rebuild  # noqa: E402
from rag.stories.brief import brief  # noqa: E402
from rag.stories.story import stories_in, make_story, rank_key  # noqa: E402
from rag.stories.summary import first_sentence, summarise  # noqa: E402
from rag.stories.summary_cache import SummaryCache  # noqa: E402
from rag.stories.written import ModelSummariser  # noqa: E402
from rag.wiring import build, make_generator  # noqa: E402

PARAMS_KEY = "bench_story_params"


def jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def index(bench: Path, out: Path):
    settings = load_settings({}, data_dir=out / "data", index_corpus_on_first_run=False)
    app = build(settings)
    started = time.perf_counter()
    report = app.ingestor.add([bench / "corpus.jsonl"])
    print(f"add: {len(report.added)} added, {len(report.unchanged)} unchanged, {report.chunks} chunks, "
          f"{report.embedded} embedded, {len(report.errors)} errors in {time.perf_counter() - started:.0f}s")
    params = repr(app.ingestor.after_write.params)
    docs, _ = app.store.counts()
    if app.store.meta(PARAMS_KEY) != params or app.stories.count()[0] != docs:
        started = time.perf_counter()
        placed = rebuild(app.store, app.stories, app.ingestor.after_write)
        app.store.set_meta(PARAMS_KEY, params)
        print(f"stories rebuilt from the stored vectors: {placed} articles in {time.perf_counter() - started:.1f}s")
    return app


def briefs_of(stories, weeks, make) -> list[dict]:
    rows = []
    for w in weeks:
        window = (w["from"], (date.fromisoformat(w["to"]) + timedelta(days=1)).isoformat())
        text, cited = make(stories, window)
        rows.append({"week": w["week"], "text": text, "citations": cited})
    return rows


def ours(stories, window, summaries=summarise):
    b = brief(stories, window, max_words=400, summarise=summaries)
    return b.text, b.cited


def spread(weeks: list[dict], n: int) -> list[dict]:
    """``n`` weeks spread evenly over ``weeks`` (the first and the last for 2): no week is picked
    for what it holds."""
    if n >= len(weeks):
        return list(weeks)
    if n == 1:
        return [weeks[0]]
    return [weeks[round(i * (len(weeks) - 1) / (n - 1))] for i in range(n)]


def with_model(app, bench: Path, out: Path, weeks: list[dict], n: int) -> dict:
    """Briefs of ``n`` weeks with the extractive and the model's summaries, scored side by side and timed."""
    chosen = spread(weeks, n)
    names = {w["week"] for w in chosen}
    generator = make_generator(app.settings)
    started = time.perf_counter()
    generator.load()
    print(f"\n--with-model: {generator.describe()} loaded in {time.perf_counter() - started:.1f}s; "
          f"{len(chosen)} of {len(weeks)} weeks, spread evenly: {', '.join(sorted(names))}")
    cache_path = out / "model-summaries.db"
    cache_path.unlink(missing_ok=True)  # every summary written in this run: the cold timing is real
    cache = SummaryCache(cache_path)
    summaries = ModelSummariser(generator, cache, app.store.content_hash)
    runs = {}
    for label, make in (("extractive", ours), ("model, writing", lambda s, w: ours(s, w, summaries)),
                        ("model, cached", lambda s, w: ours(s, w, summaries))):
        started = time.perf_counter()
        runs[label] = briefs_of(app.stories, chosen, make)
        runs[label + " seconds"] = (time.perf_counter() - started) / len(chosen)
    assert runs["model, cached"] == runs["model, writing"], "a cached summary differs from the one written"
    jsonl(out / "briefs-extractive-subset.jsonl", runs["extractive"])
    jsonl(out / "briefs-model.jsonl", runs["model, writing"])
    rows = {}
    for label, name in (("extractive", "briefs-extractive-subset.jsonl"), ("model", "briefs-model.jsonl")):
        rows[label] = {n_: story_scoring.of_weeks(bench, out / name, names, n_) for n_ in (100, 400)}
    written, failed = cache.counts()
    questions = rows["model"][400]["questions"]
    print(f"{'briefs of ' + str(len(chosen)) + ' weeks, recall (cited)':<40}{'@100':>16}{'@400':>16}"
          f"{'words @400':>12}   ({questions} questions)")
    for label, r in rows.items():
        print(f"{label:<40}" + "".join(f"{r[k]['recall']:>8.3f}({r[k]['cited_recall']:.3f})" for k in (100, 400))
              + f"{r[400]['mean_words']:>12.1f}")
    print(f"a week's brief: extractive {runs['extractive seconds']:.2f}s, with the model writing its summaries "
          f"{runs['model, writing seconds']:.1f}s, with them cached {runs['model, cached seconds']:.2f}s")
    print(f"the model wrote {written + failed} summaries; {failed} failed the citation checks "
          f"(the extractive summary shown instead)")
    first = chosen[0]["week"]
    for label in ("extractive", "model, writing"):
        text = next(r["text"] for r in runs[label] if r["week"] == first)
        print(f"\n{label}, week {first}, first lines:\n" + "\n".join(text.splitlines()[:3]))
    return {"weeks": sorted(names), "scores": rows, "written": written, "failed": failed,
            "seconds": {k: v for k, v in runs.items() if k.endswith("seconds")}}


def titles_newest(articles):
    def make(_, window):
        inside = sorted((a for a in articles if window[0] <= a.day < window[1]), key=lambda a: (a.day, a.doc_id),
                        reverse=True)
        return "\n".join(a.title for a in inside), [a.doc_id for a in inside]
    return make


def plain_ranked(memory, lead: bool):
    """The plain clustering's stories, ranked by outlets and articles, one title (or lead sentence) each."""
    def make(_, window):
        groups = defaultdict(list)
        for a in memory.rows.values():
            if window[0] <= a.day < window[1]:
                groups[a.story_id].append(a)
        ranked = sorted((make_story(i, g) for i, g in groups.items()), key=rank_key)
        lines, cited = [], []
        for s in ranked:
            best = next(a for a in s.articles if a.doc_id == s.headline_doc)
            lines.append(first_sentence(best.lead) if lead else s.headline)
            cited.append(best.doc_id)
        return "\n".join(lines), cited
    return make


def score_all(name: str, bench: Path, out: Path, clusters: list[dict] | None, briefs: list[dict] | None) -> dict:
    row: dict = {"name": name}
    if clusters is not None:
        path = out / f"ref-{name}-clusters.jsonl"
        jsonl(path, clusters)
        row["clusters"] = {"whole": story_scoring.run("clusters", bench, path),
                           **{y: story_scoring.half("clusters", bench, path, y) for y in ("2022", "2023")}}
    if briefs is not None:
        path = out / f"ref-{name}-briefs.jsonl"
        jsonl(path, briefs)
        row["briefs"] = {n: {"whole": story_scoring.run("briefs", bench, path, "--max-words", str(n)),
                             **{y: story_scoring.half("briefs", bench, path, y, n) for y in ("2022", "2023")}}
                         for n in (100, 400)}
    return row


def print_rows(rows: list[dict]) -> None:
    print(f"\n{'clusters':<28}" + "".join(f"{h:>24}" for h in ("whole P/R/F1", "2022 P/R/F1", "2023 P/R/F1")))
    for r in rows:
        if "clusters" in r:
            c = r["clusters"]
            print(f"{r['name']:<28}" + "".join(
                f"{c[k]['bcubed_precision']:>8.3f}{c[k]['bcubed_recall']:>8.3f}{c[k]['bcubed_f1']:>8.3f}"
                for k in ("whole", "2022", "2023")))
    print(f"\n{'briefs recall (cited)':<28}" + "".join(f"{h:>16}" for h in
                                                    ("whole@100", "whole@400", "2022@100", "2022@400", "2023@100", "2023@400")))
    for r in rows:
        if "briefs" in r:
            b = r["briefs"]
            print(f"{r['name']:<28}" + "".join(
                f"{b[n][k]['recall']:>8.3f}({b[n][k]['cited_recall']:.3f})"
                for k in ("whole", "2022", "2023") for n in (100, 400)))


def speed(bench: Path, n: int) -> None:
    docs = read_jsonl(bench / "corpus.jsonl")[:n]
    work = Path(tempfile.mkdtemp(prefix="newsrag-stories-speed-"))
    part = work / "part.jsonl"
    jsonl(part, docs)
    seconds = {}
    for label in ("without", "with", "without2", "with2"):
        app = build(load_settings({}, data_dir=work / label, index_corpus_on_first_run=False))
        if label.startswith("without"):
            app.ingestor.after_write = None
        app.embedder.embed(["warm up"])
        started = time.perf_counter()
        app.ingestor.add([part])
        seconds[label] = time.perf_counter() - started
        app.store.close()
    plain = seconds["without"] + seconds["without2"]
    stories = seconds["with"] + seconds["with2"]
    print(f"add of {n} articles, twice each, alternating: without stories {plain:.1f}s, with {stories:.1f}s, "
          f"ratio {stories / plain:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--speed", type=int, default=0, help="time add of the first N articles with and without stories")
    ap.add_argument("--with-model", action="store_true",
                    help="also briefs with the language model's summaries, on --model-weeks weeks")
    ap.add_argument("--model-weeks", type=int, default=2, help="weeks briefed with the model (default 2)")
    args = ap.parse_args()
    if args.model_weeks < 1:
        ap.error(f"--model-weeks must be at least 1, not {args.model_weeks}")
    args.out.mkdir(parents=True, exist_ok=True)
    app = index(args.bench, args.out)
    weeks = read_jsonl(args.bench / "weeks.jsonl")
    corpus_ids = [json.loads(line)["id"] for line in open(args.bench / "corpus.jsonl", encoding="utf-8")]
    story_of = app.stories.stories_of(corpus_ids)
    clusters = [{"doc_id": d, "story_id": story_of.get(d, "alone-" + d)} for d in corpus_ids]
    jsonl(args.out / "clusters.jsonl", clusters)
    started = time.perf_counter()
    briefs = briefs_of(app.stories, weeks, ours)
    per_week = (time.perf_counter() - started) / max(1, len(weeks))
    jsonl(args.out / "briefs.jsonl", briefs)
    print(f"briefs: {len(briefs)} weeks, {per_week * 1000:.0f} ms a week (extractive, no model)")

    # The references, from the same stored article vectors.
    window = ("0001-01-01", "9999-12-31")
    articles = app.stories.within(window)
    memory = MemoryStories()
    # The plain clustering compares title+lead vectors only (the first half of ours) and no names.
    half = StoryParams().chunks
    StoryAssigner(memory, None, StoryParams(horizon_days=7, threshold=0.55, names_weight=0.0, chunks=False)).place(
        [a.__class__(a.doc_id, "", a.day, a.outlet, a.title, a.lead, (),
                     a.vector[:a.vector.size // 2] if half else a.vector) for a in articles])
    day_of = {a.doc_id: a.day for a in articles}
    rows = [
        score_all("newsrag", args.bench, args.out, clusters, briefs),
        score_all("every article alone", args.bench, args.out,
                  [{"doc_id": d, "story_id": d} for d in corpus_ids], None),
        score_all("one story per week", args.bench, args.out,
                  [{"doc_id": d, "story_id": "%d-%02d" % date.fromisoformat(day_of[d]).isocalendar()[:2]}
                   for d in corpus_ids if d in day_of], None),
        score_all("plain online 0.55", args.bench, args.out,
                  [{"doc_id": a.doc_id, "story_id": a.story_id} for a in memory.rows.values()],
                  briefs_of(None, weeks, plain_ranked(memory, lead=False))),
        score_all("plain, lead sentences", args.bench, args.out, None, briefs_of(None, weeks, plain_ranked(memory, True))),
        score_all("titles newest first", args.bench, args.out, None, briefs_of(None, weeks, titles_newest(articles))),
    ]
    (args.out / "figures.json").write_text(json.dumps(rows, indent=2))
    print_rows(rows)
    sizes = Counter(story_of.values())
    print(f"\nstories: {len(sizes)}, with 2+ articles {sum(1 for v in sizes.values() if v >= 2)}; "
          f"params {app.ingestor.after_write.params}")
    if args.with_model:
        model = with_model(app, args.bench, args.out, weeks, args.model_weeks)
        (args.out / "figures-model.json").write_text(json.dumps(model, indent=2))
    if args.speed:
        speed(args.bench, args.speed)


if __name__ == "__main__":
    main()
