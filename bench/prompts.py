"""The prompt each benchmark question would send to the language model, with no model run.

    .venv/bin/python bench/prompts.py dump QUESTIONS.jsonl --corpus CORPUS.jsonl --out PROMPTS.jsonl
        [--limit N]
    .venv/bin/python bench/prompts.py diff A.jsonl B.jsonl [--ids-out IDS.txt]
    .venv/bin/python bench/prompts.py shown QUESTIONS.jsonl A.jsonl [B.jsonl ...]

``dump`` runs the pipeline as `newsrag eval --corpus` does (the same index folder under
NEWSRAG_DATA_DIR, the settings from the environment, each question's date as its as-of) with a
generator that records the messages and replies nothing, and writes a line per question: its
id, and the messages it would send, or the reply it declined with before any model call.
``diff`` prints how many questions two such files (two versions of the code, or two settings)
treat differently and writes their ids. The default model is greedy, so it answers an identical
prompt identically: a before/after comparison needs only the listed questions answered twice.
``shown`` counts, per year the questions were asked, the prompts whose evidence holds a gold
answer (normalised substring, as the judge reads it) in any passage's body and in the first one's
(a title's words are not counted): the reader cannot answer from what it is not shown, though
more of it shown has not by itself made answers right (docs/decisions.md).

Left out: what a version does with the reply (the citation check, declining a reply that only
restates the question or a heading). A change there needs a full answer run to measure. The
recorder knows no model's special tokens, so only the generic ``<|`` rule of rag.quoting cuts
passages here; the real model's list can cut more.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# The tree this file sits in is the code measured: copy it into an older checkout to dump that.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Recorder:
    """A generator that keeps the messages it is sent and replies nothing (knowing no control
    tokens, so the prompts are those of a model that names none)."""

    name = "prompt-recorder"

    def __init__(self) -> None:
        self.last: list[dict[str, str]] | None = None

    def describe(self) -> str:
        return self.name

    def load(self) -> None:
        pass

    def special_tokens(self) -> frozenset[str]:
        return frozenset()

    def stream(self, messages):
        self.last = messages
        return iter(())


def dump(questions_path: Path, corpus: Path, out: Path, limit: int | None) -> None:
    from rag.eval.benchmark import eval_index_dir, index_corpus
    from rag.eval.questions import load_questions
    from rag.settings import load_settings
    from rag.wiring import build

    base = load_settings(os.environ)
    settings = base.replace(data_dir=eval_index_dir(base, corpus), index_corpus_on_first_run=False)
    recorder = Recorder()
    app = build(settings, generator=recorder)
    try:
        index_corpus(app, corpus, progress=False)
        questions = load_questions(questions_path)[:limit]
        with out.open("w", encoding="utf-8") as f:
            for q in questions:
                recorder.last = None
                answer = app.pipeline.ask(q.question, **({"as_of": q.asked_on} if q.asked_on else {}))
                line = {"id": q.id, "messages": recorder.last} if recorder.last is not None else \
                       {"id": q.id, "declined": answer.text}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        app.store.close()
    print(f"{len(questions)} prompts written to {out}")


def read(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8") as f:
        return {row["id"]: row for row in map(json.loads, f)}


def diff(a_path: Path, b_path: Path, ids_out: Path | None) -> None:
    a, b = read(a_path), read(b_path)
    common = [i for i in a if i in b]
    changed = [i for i in common if a[i] != b[i]]
    declined = [sum("declined" in rows[i] for i in common) for rows in (a, b)]
    print(f"{len(common)} questions in both; {len(changed)} differ "
          f"(declined before the model: {declined[0]} in A, {declined[1]} in B)")
    if ids_out is not None:
        ids_out.write_text("".join(f"{i}\n" for i in changed), encoding="utf-8")
        print(f"their ids: {ids_out}")


def passages(row: dict) -> list[str]:
    """The passage texts of a dumped prompt, in the order shown (none for a declined question)."""
    if "messages" not in row:
        return []
    user = row["messages"][-1]["content"]
    return [block.split(">", 1)[1].split("</passage>", 1)[0] for block in user.split("<passage ")[1:]]


def shown(questions_path: Path, dumps: list[Path]) -> None:
    from rag.eval.judge import contains_gold
    from rag.eval.paired import group_of
    from rag.eval.questions import load_questions

    by_year: dict[str, list] = {}
    for q in load_questions(questions_path):
        if q.answers:
            by_year.setdefault(group_of(q), []).append(q)
    years = sorted(by_year)
    print("dump | " + " | ".join(f"{y} ({len(by_year[y])}): any / first" for y in years))
    for path in dumps:
        rows = read(path)
        cells = []
        for year in years:
            shown_texts = [(passages(rows.get(q.id, {})), q.answers) for q in by_year[year]]
            anywhere = sum(any(contains_gold(t, gold) for t in texts) for texts, gold in shown_texts)
            first = sum(bool(texts) and contains_gold(texts[0], gold) for texts, gold in shown_texts)
            cells.append(f"{anywhere} / {first}")
        print(f"{path} | " + " | ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("questions", type=Path)
    d.add_argument("--corpus", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--limit", type=int)
    c = sub.add_parser("diff")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--ids-out", type=Path)
    g = sub.add_parser("shown")
    g.add_argument("questions", type=Path)
    g.add_argument("dumps", type=Path, nargs="+")
    args = ap.parse_args()
    if args.command == "dump":
        dump(args.questions, args.corpus, args.out, args.limit)
    elif args.command == "shown":
        shown(args.questions, args.dumps)
    else:
        diff(args.a, args.b, args.ids_out)


if __name__ == "__main__":
    main()
