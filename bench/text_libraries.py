"""Sentence splitting and stemming: newsrag's own against pysbd and snowballstemmer, side by side.

No language model runs. For every question of a benchmark file it retrieves as a normal run would
(hybrid, top-k, the question's date), then, for each variant, selects the evidence the prompt
would show and reports: how often that evidence contains the gold answer (what the model can
possibly answer from), how often the gold answer's sentence is a whole sentence of it, the
evidence size, and the seconds spent splitting sentences. It also checks each splitter's offsets
(every span is exactly its text) on the retrieved passages.

    .venv/bin/python bench/text_libraries.py QUESTIONS.jsonl --corpus CORPUS.jsonl [--limit N]

The index comes from the same place `newsrag eval --corpus` keeps it (NEWSRAG_DATA_DIR), so a
prebuilt eval index is reused. The two libraries are not newsrag dependencies (neither is kept):
``pip install pysbd snowballstemmer`` first.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag.citations  # noqa: E402
import rag.evidence  # noqa: E402
import rag.text  # noqa: E402
from rag.question import analyse  # noqa: E402
from rag.eval.benchmark import eval_index_dir, index_corpus  # noqa: E402
from rag.eval.judge import contains_gold  # noqa: E402
from rag.eval.questions import load_questions  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402

OWN_SPANS = rag.text.sentence_spans
OWN_STEM = rag.text.stem


@functools.cache
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def pysbd_spans(text: str) -> list[tuple[int, int]]:
    """pysbd's sentences, within each line (a line break ends a sentence, as in rag.text)."""
    out = []
    start = 0
    for line in text.split("\n"):
        for piece in _segmenter().segment(line) if line.strip() else []:
            s, e = rag.text.trimmed(text, start + piece.start, start + piece.end)
            if e > s:
                out.append((s, e))
        start += len(line) + 1
    return out


@functools.cache
def _porter():
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


@functools.cache
def porter_stem(word: str) -> str:
    return _porter().stemWord(word)


VARIANTS = {
    "own": (OWN_SPANS, OWN_STEM),
    "pysbd": (pysbd_spans, OWN_STEM),
    "snowball": (OWN_SPANS, porter_stem),
    "both": (pysbd_spans, porter_stem),
}


def use(spans, stem) -> None:
    timed = _Timed(spans)
    for module in (rag.text, rag.evidence, rag.citations):
        if hasattr(module, "sentence_spans"):
            module.sentence_spans = timed
    rag.text.stem = stem
    return timed


class _Timed:
    def __init__(self, fn) -> None:
        self.fn, self.seconds = fn, 0.0

    def __call__(self, text: str):
        t = time.perf_counter()
        try:
            return self.fn(text)
        finally:
            self.seconds += time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    try:
        import pysbd  # noqa: F401
        import snowballstemmer  # noqa: F401
    except ImportError as exc:
        sys.exit(f"bench/text_libraries.py: {exc}: pip install pysbd snowballstemmer")
    settings = load_settings(os.environ)
    settings = settings.replace(data_dir=eval_index_dir(settings, args.corpus), index_corpus_on_first_run=False)
    app = build(settings)
    index_corpus(app, args.corpus, progress=False)
    questions = load_questions(args.questions)[: args.limit]
    retrieved = []
    for q in questions:
        vector = app.embedder.embed([q.question])[0]
        passages = app.retriever.retrieve(q.question, query_vector=vector, as_of=q.asked_on)
        retrieved.append((q, vector, passages))
    print(f"{len(questions)} questions, top-{settings.top_k} {settings.retriever}, "
          f"evidence budget {settings.context_chars} chars")
    print(f"{'variant':10}{'gold in evidence':>18}{'gold sentence whole':>21}{'evidence chars':>16}"
          f"{'split s':>9}{'bad spans':>11}")
    for name, (spans, stem) in VARIANTS.items():
        timed = use(spans, stem)
        hits = whole = chars = bad = 0
        with_gold = 0
        for q, vector, passages in retrieved:
            # Analysed after `use`, so its words are stemmed by the variant measured.
            evidence = rag.evidence.select_evidence(analyse(q.question), vector, passages, app.embedder,
                                                    settings.context_chars)
            for p in passages:
                bad += sum(p.text[s:e] != p.text[s:e].strip() or e <= s for s, e in timed(p.text))
            chars += sum(len(ev.text) for ev in evidence)
            if not q.answers:
                continue
            with_gold += 1
            hits += any(contains_gold(ev.text, q.answers) for ev in evidence)
            # The gold answer inside one whole sentence of the evidence (not cut across two).
            whole += any(contains_gold(ev.text[s:e], q.answers) for ev in evidence for s, e in timed(ev.text))
        print(f"{name:10}{hits / max(with_gold, 1):18.3f}{whole / max(with_gold, 1):21.3f}"
              f"{chars / max(len(retrieved), 1):16.0f}{timed.seconds:9.2f}{bad:11d}")
    use(OWN_SPANS, OWN_STEM)
    app.store.close()


if __name__ == "__main__":
    main()
