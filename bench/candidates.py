"""Reading as a choice, measured: the answer picked among spans of the evidence by likelihood.

    .venv/bin/python bench/candidates.py QUESTIONS.jsonl PROMPTS.jsonl RUN_DIR [--year 2022] [--limit N]

PROMPTS.jsonl is `bench/prompts.py dump` of the questions, RUN_DIR a `newsrag eval` run of the same
code (its answers are the generated ones compared against). For each question the candidates are
the capitalised runs of words and the numbers of the shown evidence that the question does not
contain; the prompt is evaluated once, then each candidate from the prompt's end (llama.cpp's KV
cache kept), scored by the sum of its tokens' log-probabilities as the start of the reply, and
also per token. Prints how often the gold answer is a candidate, and, beside the generated
answer's verdict, the top candidate's: both ways of flipping, as `newsrag eval --compare` does.

A prototype for issue 26, not part of the reader: it loads the default model itself (with
``logits_all``, about 1.2 GB of logits for a 2,048-token context) and applies the GGUF's own chat
template. Left out: writing an answer sentence around the winner.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORD = r"(?:[A-Z][\w’'&.-]*|\d[\d,.]*(?:%| percent| million| billion)?|[£$€]\d[\d,.]*(?:m|bn| million| billion)?)"
SPAN = re.compile(WORD + r"(?:\s+(?:of |the |and |de |du |van |for )?" + WORD + r")*")
# Capitalised only because they open a sentence.
OPENERS = {"The", "A", "An", "In", "On", "At", "But", "And", "It", "He", "She", "They", "We", "I", "This",
           "That", "As", "If", "When", "After", "Update:", "Who", "What", "How"}
TAG = re.compile(r"<passage[^>]*>|</passage>")


def candidates(evidence: str, question: str) -> list[str]:
    """Distinct name-like and number-like spans of ``evidence`` that ``question`` does not contain."""
    found: dict[str, None] = {}
    for match in SPAN.finditer(evidence):
        words = match.group(0).split()
        while words and words[0] in OPENERS:
            words = words[1:]
        span = " ".join(words).strip(".,:;")
        if len(span) >= 2 and span.lower() not in question.lower():
            found.setdefault(span)
    return list(found)


def _logsumexp(row) -> float:
    import numpy as np

    top = float(row.max())
    return top + math.log(float(np.exp(row - top).sum()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("prompts", type=Path)
    ap.add_argument("run", type=Path)
    ap.add_argument("--year", help="only questions asked in this year (a half of rtqa-dev)")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()

    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from rag.eval.judge import accurate
    from rag.eval.questions import load_questions
    from rag.model_files import resolve_model
    from rag.settings import load_settings

    settings = load_settings(os.environ)
    questions = {q.id: q for q in load_questions(args.questions)}
    prompts = [json.loads(line) for line in args.prompts.open(encoding="utf-8") if line.strip()]
    generated = {r["id"]: r for r in map(json.loads, (args.run / "results.jsonl").open(encoding="utf-8"))}
    llm = llama_cpp.Llama(model_path=str(resolve_model(settings.model, settings.cache_dir)), n_ctx=2048,
                          n_threads=os.cpu_count() or 1, n_threads_batch=os.cpu_count() or 1, logits_all=True,
                          flash_attn=True, verbose=False)
    template = Jinja2ChatFormatter(str(llm.metadata["tokenizer.chat_template"]), eos_token="", bos_token="")
    table: Counter = Counter()
    covered = done = 0
    for line in prompts:
        q = questions.get(line["id"])
        if q is None or "messages" not in line or line["id"] not in generated:
            continue
        if args.year and not (q.asked_on or "").startswith(args.year):
            continue
        if args.limit is not None and done >= args.limit:
            break
        started = time.perf_counter()
        evidence, asked = line["messages"][-1]["content"].rsplit("\n\nQuestion:", 1)
        spans = candidates(TAG.sub(" ", evidence), asked)
        prompt = template(messages=line["messages"]).prompt
        llm.reset()
        llm.eval(llm.tokenize(prompt.encode(), add_bos=False, special=True))
        end = llm.n_tokens
        scored = []
        for span in spans:
            pieces = llm.tokenize(span.encode(), add_bos=False, special=False)
            llm.n_tokens = end  # back to the prompt's end: the KV cache past it is overwritten
            llm.eval(pieces)
            logp = sum(float(llm.scores[end - 1 + j][t]) - _logsumexp(llm.scores[end - 1 + j])
                       for j, t in enumerate(pieces))
            scored.append((logp, logp / len(pieces), span))
        result = generated[line["id"]]
        gen_ok = accurate(result["answer"], q.answers, q.distractors) and not result["abstained"]
        by_sum = max(scored, default=None)
        by_mean = max(scored, key=lambda s: s[1], default=None)
        sum_ok = bool(by_sum) and accurate(by_sum[2], q.answers, q.distractors)
        mean_ok = bool(by_mean) and accurate(by_mean[2], q.answers, q.distractors)
        covered += any(accurate(s, q.answers, q.distractors) for s in spans)
        table[("sum", gen_ok, sum_ok)] += 1
        table[("mean", gen_ok, mean_ok)] += 1
        done += 1
        print(f"{q.id}  {len(spans):3} candidates  generated {'right' if gen_ok else 'wrong'}  "
              f"top {by_sum[2] if by_sum else '-'!r} {'right' if sum_ok else 'wrong'}  "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    print(f"\n{done} questions; the gold answer is a candidate in {covered}")
    print(f"{'scored by':10}{'generated right':>17}{'candidate right':>17}{'wrong->right':>14}{'right->wrong':>14}")
    for way in ("sum", "mean"):
        gen = table[(way, True, True)] + table[(way, True, False)]
        cand = table[(way, True, True)] + table[(way, False, True)]
        print(f"{way:10}{gen:17}{cand:17}{table[(way, False, True)]:14}{table[(way, True, False)]:14}")


if __name__ == "__main__":
    main()
