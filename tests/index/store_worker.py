"""A child process for the store contract tests: add a corpus, or search until told to stop.

    python store_worker.py add    SPEC CORPUS.jsonl
    python store_worker.py read   SPEC EXPECTED.json STOP_FILE OUT.json

SPEC is a JSON object of settings (``data_dir``, ``store``), so the same worker drives either
backend through `rag.wiring.build`, as the CLI does. The embedder is the tests' hash stand-in.
The reader checks that every document it sees has the chunk count of one whole version.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]  # the project, tests/

from fakes import HashEmbedder, ScriptedGenerator  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.wiring import build  # noqa: E402


def app_for(spec: dict):
    settings = load_settings({}, index_corpus_on_first_run=False, **spec)
    return build(settings, embedder=HashEmbedder(), generator=ScriptedGenerator())


def add(spec: dict, corpus: str) -> None:
    app = app_for(spec)
    report = app.ingestor.add([Path(corpus)])
    print(json.dumps({"added": len(report.added), "updated": len(report.updated),
                      "unchanged": len(report.unchanged), "embedded": report.embedded,
                      "errors": [str(e) for e in report.errors]}), flush=True)


def read(spec: dict, expected_path: str, stop: str, out: str) -> None:
    expected = {k: set(v) for k, v in json.loads(Path(expected_path).read_text()).items()}
    app = app_for(spec)
    queries = errors = 0
    bad: list[str] = []
    seen: set[str] = set()
    print("ready", flush=True)
    words = ["harbour", "election", "storm", "budget", "court", "energy"]
    deadline = time.monotonic() + 120
    while not Path(stop).exists() and time.monotonic() < deadline:
        for mode in ("dense", "keyword", "hybrid"):
            try:
                passages = app.retriever.retrieve(words[queries % len(words)], top_k=10, mode=mode)
                counts: dict[str, int] = {}
                for p in passages:
                    counts.setdefault(p.doc_id, 0)
                infos = {d.id: d.chunks for d in app.store.documents() if d.id in counts}
                for doc_id, chunks in infos.items():
                    seen.add(doc_id)
                    if chunks not in expected.get(doc_id, set()):
                        bad.append(f"{doc_id}: {chunks} chunks, expected one of {sorted(expected.get(doc_id, []))}")
            except Exception as exc:  # reported to the test, which fails on any
                errors += 1
                bad.append(f"{type(exc).__name__}: {exc}")
            queries += 1
    Path(out).write_text(json.dumps({"queries": queries, "errors": errors, "bad": bad[:20],
                                     "seen": len(seen)}))


if __name__ == "__main__":
    command, spec = sys.argv[1], json.loads(sys.argv[2])
    if command == "add":
        add(spec, sys.argv[3])
    else:
        read(spec, *sys.argv[3:6])
