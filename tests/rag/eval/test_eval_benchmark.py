"""rag.eval.benchmark's corpus indexing with fake models (issue 12, finding 11)."""
from __future__ import annotations

import json
import os

import pytest

from rag.errors import InputError
from rag.eval.benchmark import index_corpus


def write_corpus(path, n: int, start: int = 0) -> None:
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Article {i} is about topic number {i}."}) + "\n"
                            for i in range(start, start + n)))


def ids(app) -> list[str]:
    return sorted(d.id for d in app.store.documents())


def test_eval_corpus_does_not_prune_when_the_file_yields_far_less_than_before(make_app, tmp_path):
    app = make_app("x")
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 10)
    assert index_corpus(app, corpus, progress=False) == ()
    assert len(ids(app)) == 10
    # The file broke: nothing (or almost nothing) reads, and the index must not be emptied.
    for broken in ("{oops\n" * 10, json.dumps({"id": "a0", "text": "Article 0 is about topic number 0."}) + "\n{oops\n"):
        corpus.write_text(broken)
        os.utime(corpus, ns=(1, os.stat(corpus).st_mtime_ns + 10**9))
        with pytest.raises(InputError) as info:
            index_corpus(app, corpus, progress=False)
        assert "corpus.jsonl" in str(info.value) and "10" in str(info.value)
        assert len(ids(app)) == 10
    # Not marked done either: the next run reads the file again.
    write_corpus(corpus, 8)
    assert index_corpus(app, corpus, progress=False) == ()
    assert ids(app) == sorted(f"a{i}" for i in range(8))  # a real, modest deletion still prunes
