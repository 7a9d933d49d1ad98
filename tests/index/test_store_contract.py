"""Every store behaviour, run against both backends: SQLite + FAISS, and PostgreSQL + pgvector.

The PostgreSQL side runs on a real server the tests start (`postgres_server` in conftest.py),
one new database per test. Backend-specific checks (FAISS files, schema migrations) live in
tests/index/sqlite/ and tests/index/postgres/.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

import builders
from builders import EMB, limits, prepared
from fakes import HashEmbedder
from index.records import PreparedDocument
from rag.chunking import Chunker
from index.errors import StoreError
from rag.ingest import Ingestor
from index.records import Document
from rag.settings import load_settings
from rag.wiring import open_store

WORKER = Path(__file__).with_name("store_worker.py")
WORKER_DIM = 64  # the worker's HashEmbedder


@dataclass
class Backend:
    name: str
    spec: dict[str, str]  # the settings that select it: data_dir, store
    damage: Callable[[Any], None]  # breaks something `check --repair` can rebuild

    def open(self, model: str = "hash-embedder", dim: int = EMB.dim):
        embedder = HashEmbedder(dim)
        embedder.name = model
        return open_store(load_settings({}, **self.spec), embedder)


def _damage_sqlite(store) -> None:
    store.save_vectors()
    store.faiss_path.unlink()


def _damage_postgres(store) -> None:
    store.execute("DROP INDEX chunks_tsv")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def backend(request, tmp_path) -> Backend:
    data = tmp_path / "data"
    if request.param == "sqlite":
        return Backend("sqlite", {"data_dir": str(data)}, _damage_sqlite)
    url = request.getfixturevalue("postgres_url")
    return Backend("postgres", {"data_dir": str(data), "store": url}, _damage_postgres)


def doc_ids(store, hits) -> list[str]:
    passages = store.passages([i for i, _ in hits])
    return [passages[i].doc_id for i, _ in hits]


# -- writing and reading ---------------------------------------------------------------------

def test_write_search_and_remove(backend):
    store = backend.open()
    store.write([prepared("a", "Huawei and Baidu pool chip research. " * 8),
                 prepared("b", "Floods hit the coast of Peru. " * 8)])
    assert store.counts()[0] == 2
    hits = store.keyword_search("Which firms pool chip research?", 5)
    assert hits and doc_ids(store, hits)[0] == "a"
    dense = store.dense_search(EMB.embed(["Floods hit the coast of Peru."])[0], 3)
    assert doc_ids(store, dense)[0] == "b" and dense[0][1] == pytest.approx(1.0, abs=1e-4)
    assert store.remove("a") and not store.remove("a")
    assert set(doc_ids(store, store.dense_search(EMB.embed(["chip"])[0], 10))) == {"b"}
    assert store.keyword_search("Huawei", 5) == []


def test_replacing_a_document_leaves_no_old_chunks(backend):
    store = backend.open()
    store.write([prepared("a", "Old text about elections. " * 10)])
    store.write([prepared("a", "New text about volcanoes. " * 3)])
    (info,) = store.documents()
    assert info.chars == len("New text about volcanoes. " * 3)
    assert store.keyword_search("elections", 5) == []
    assert len(store.dense_search(EMB.embed(["volcanoes"])[0], 50)) == info.chunks == store.counts()[1]


def test_failed_write_leaves_nothing_behind(backend):
    store = backend.open()
    good = prepared("good", "Fine text here. " * 5)
    bad = prepared("bad", "Broken text here. " * 20)
    bad = PreparedDocument(bad.document, bad.content_hash, bad.chunks, bad.embeddings[:1], bad.text_hashes)
    with pytest.raises(StoreError):
        store.write([good, bad])
    assert store.counts() == (0, 0)
    assert store.keyword_search("fine", 5) == []


def test_a_stores_width_is_recorded_with_its_first_vector_and_kept(backend):
    """Issue 24: the width came from the rows on SQLite (gone with the last document) and from
    the metadata on PostgreSQL; both record it with the first vector and keep it."""
    empty = backend.open()
    assert empty.dim is None  # no vector yet, so no width
    empty.close()
    assert backend.open().dim is None  # reopened, still none
    store = backend.open()
    store.write([prepared("a", "Huawei and Baidu pool chip research. " * 8)])
    assert store.dim == EMB.dim
    store.close()
    store = backend.open()
    assert store.dim == EMB.dim  # reopened
    assert store.remove("a")
    store.flush()
    assert store.dim == EMB.dim and store.counts() == (0, 0)  # emptied
    store.close()
    store = backend.open()
    assert store.dim == EMB.dim  # emptied and reopened
    other = prepared("b", "Ferries resumed on Monday. " * 6)
    wider = PreparedDocument(other.document, other.content_hash, other.chunks,
                             HashEmbedder(EMB.dim * 2).embed([c.text for c in other.chunks]), other.text_hashes)
    with pytest.raises(StoreError, match=f"{EMB.dim} dimensions, not {EMB.dim * 2}"):
        store.write([wider])
    assert store.counts() == (0, 0)


def test_other_embedding_model_is_refused(backend):
    backend.open().write([prepared("a", "Some text. " * 5)])
    with pytest.raises(StoreError, match="hash-embedder"):
        backend.open(model="another-model")


def test_a_reader_sees_another_stores_writes_without_restart(backend):
    reader, writer = backend.open(), backend.open()
    assert reader.dense_search(EMB.embed(["x"])[0], 5) == []
    writer.write([prepared("a", "Volcano erupts in Iceland. " * 6)])
    assert reader.dense_search(EMB.embed(["Volcano erupts"])[0], 5)
    writer.remove("a")
    assert reader.dense_search(EMB.embed(["Volcano erupts"])[0], 5) == []


def test_keyword_search_ignores_query_syntax(backend):
    store = backend.open()
    store.write([prepared("a", "The AND operator NEAR quotes \"here\" & | ! :* <-> 'x'. " * 4)])
    for query in ['"unbalanced', "NEAR(", "a OR", "*", "-", "AND", "'", "a & b", "!x", "x:*", "<->", "\\", "(("]:
        store.keyword_search(query, 5)  # must not raise a query syntax error
    assert store.keyword_search("operator", 5)


def test_a_word_too_common_to_score_is_left_out_while_a_rarer_one_remains(backend, monkeypatch):
    """At a million chunks, scoring every match of "week" made keyword search take 0.65-1.4 s."""
    import index.keyword_query

    monkeypatch.setattr(index.keyword_query, "COMMON_MATCHES", 5)
    store = backend.open()
    store.write([prepared(f"h{i}", f"Harbour report number {i} of the season.") for i in range(12)]
                + [prepared("lh", "The harbour lighthouse was repainted."),
                   prepared("other", "A lighthouse keeper retired.")])
    if backend.name == "postgres":
        store.execute("ANALYZE chunks")  # what autovacuum does after a large write
    hits = doc_ids(store, store.keyword_search("harbour lighthouse", 20))
    assert sorted(hits) == ["lh", "other"]  # only the rarer word was searched: no harbour report
    assert len(store.keyword_search("harbour", 20)) == 13  # a question of common words alone keeps them


def test_unknown_words_are_those_no_chunk_contains(backend):
    store = backend.open()
    store.write([prepared("a", "Tencent and Baidu pool chip research in Shenzhen. " * 4)])
    assert store.unknown_words(["Tencent", "baidu", "Quillfield", 'Shen"zhen', "Baidu"]) == ["Quillfield", 'Shen"zhen']


# Real names and word forms, each stored in a short document of its own (one chunk) and asked
# for as the abstention check asks: whether a question's names are in the archive must not
# depend on the backend, so each backend is held to the same answers here.
WORD_FORM_TEXTS = (
    "Volodymyr Zelenskyy met Huawei's chief in Kyiv.",
    "Conor O'Brien flew to São Paulo, then to Malaga.",
    "Chips were running low; the staff ran out.",
    "AI-driven tools at OpenAI in 2024.",
    "The U.S. trade office and the news desk.",
)
KNOWN_FORMS = (
    "Zelenskyy", "Huawei", "Huawei's", "Huaweis", "O'Brien", "Brien", "São Paulo", "Paulo", "Malaga", "Málaga",
    "chip", "chips", "CHIPS", "running", "run", "ran", "AI-driven", "AI driven", "driven", "2024",
    "OpenAI", "openai", "U.S.", "news", "the", "The", "between", "of the",
)
UNKNOWN_FORMS = ("Zelensky", "OBrien", "Open AI", "2025", "Quillfield", "Kyiv Post", "Chipz")


def test_unknown_words_of_real_names_and_word_forms_agree_across_backends(backend):
    """Possessives, apostrophes, accents, plurals and verb forms, hyphens, numbers, CamelCase and
    stop words ("between" is in no text: a form of stop words alone counts as known)."""
    store = backend.open()
    store.write([prepared(f"w{i}", text) for i, text in enumerate(WORD_FORM_TEXTS)])
    assert store.unknown_words([*KNOWN_FORMS, *UNKNOWN_FORMS]) == list(UNKNOWN_FORMS)


@pytest.mark.parametrize("asked", ["Sao Paulo", "new", "sao", "MALAGA", "runs", "desks", "trading"])
def test_unknown_words_of_folded_and_stemmed_forms_agree_across_backends(backend, asked):
    """Once left to the backends: an article's "São Paulo" is found by "Sao Paulo" (accents folded
    in the stored text too, which PostgreSQL's english configuration keeps) and "news" by "new"
    (Porter's stemmer, where PostgreSQL's english one, Porter2, keeps "news")."""
    store = backend.open()
    store.write([prepared(f"w{i}", text) for i, text in enumerate(WORD_FORM_TEXTS)])
    assert store.unknown_words([asked]) == []


def test_meta_embeddings_and_read_back(backend):
    store = backend.open()
    doc = prepared("a", "Copper prices rose in Chile. " * 9)
    store.write([doc])
    store.set_meta("corpus_indexed", "x")
    store.set_meta("corpus_indexed", "y")
    assert store.meta("corpus_indexed") == "y" and store.user_meta() == {"corpus_indexed": "y"}
    (back,) = store.read_prepared(["a", "missing"])
    assert back.document == doc.document and back.content_hash == doc.content_hash
    assert back.chunks == doc.chunks and back.text_hashes == doc.text_hashes
    assert (abs(back.embeddings - doc.embeddings) < 1e-6).all()
    assert back.added_at == store.documents()[0].added_at
    ids = [i for i, _ in store.dense_search(doc.embeddings[0], 10)]
    vectors = store.embeddings(ids + [10**9])
    assert set(vectors) == set(ids)
    assert set(map(tuple, store.embeddings_by_text_hash("a").values())) <= set(map(tuple, doc.embeddings.tolist()))



def test_a_sample_chunk_is_its_text_and_stored_vector(backend):
    """What an embeddings server's vectors are checked against before any is used (the
    PostgreSQL store once failed here with a TypeError on pgvector's value)."""
    store = backend.open()
    assert store.sample_chunk() is None
    doc = prepared("a", "Copper prices rose in Chile. " * 9)
    store.write([doc])
    text, vector = store.sample_chunk()
    rows = [n for n, chunk in enumerate(doc.chunks) if chunk.text == text]
    assert rows and vector.dtype == "float32"
    assert any((abs(vector - doc.embeddings[n]) < 1e-6).all() for n in rows)


# -- through ingestion and retrieval -----------------------------------------------------------

def _ingestor(store, embedder=None) -> Ingestor:
    return Ingestor(store, embedder or HashEmbedder(EMB.dim), Chunker(200, 40), limits=limits())


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_readding_is_free_and_duplicates_are_skipped(backend, tmp_path):
    store = backend.open()
    rows = [{"id": f"d{i}", "title": f"Story {i}", "text": f"Story {i} about the harbour and trade. " * 12}
            for i in range(4)]
    first = _ingestor(store).add([_jsonl(tmp_path / "a.jsonl", rows)])
    assert len(first.added) == 4 and first.embedded == first.chunks
    embedder = HashEmbedder(EMB.dim)
    again = _ingestor(backend.open(), embedder).add([tmp_path / "a.jsonl"])
    assert len(again.unchanged) == 4 and embedder.texts == 0
    twin = _ingestor(store).add([_jsonl(tmp_path / "b.jsonl", [{**rows[0], "id": "copy"}])])
    assert twin.duplicates == [("copy", "d0")]
    edited = [{**rows[1], "text": rows[1]["text"] + "A new closing paragraph about ferries."}]
    embedder = HashEmbedder(EMB.dim)
    changed = _ingestor(store, embedder).add([_jsonl(tmp_path / "c.jsonl", edited)])
    assert changed.updated == ["d1"] and 0 < changed.embedded < changed.chunks
    assert {d.id for d in store.documents()} == {"d0", "d1", "d2", "d3"}


def test_hybrid_dense_and_keyword_retrieval_and_as_of_dates(backend):
    store = backend.open()
    docs = [("old", "2020-01-05", "The council approved the harbour budget for the new ferry terminal. "),
            ("new", "2024-06-01", "The council approved the harbour budget for the new ferry terminal again. "),
            ("other", "2024-06-02", "Drought cut the wheat harvest across the southern plains. ")]
    embedder = HashEmbedder(EMB.dim)
    batch = []
    for doc_id, day, text in docs:
        p = prepared(doc_id, text)  # one chunk each
        batch.append(PreparedDocument(Document(doc_id, "T", p.document.text, published=day), p.content_hash,
                                      p.chunks, embedder.embed([c.text for c in p.chunks]), p.text_hashes))
    store.write(batch)
    retriever = builders.retriever(store, embedder, top_k=3, candidates=10)
    for mode in ("hybrid", "dense", "keyword"):
        found = retriever.retrieve("harbour budget ferry terminal", mode=mode)
        assert {p.doc_id for p in found[:2]} == {"old", "new"}, mode
        assert all(p.dense_score is not None for p in found), mode
    as_of = retriever.retrieve("harbour budget ferry terminal", as_of="2021-01-01")
    assert {p.doc_id for p in as_of} == {"old"}
    assert retriever.retrieve("wheat drought", top_k=1)[0].published == "2024-06-02"


# -- check and repair ------------------------------------------------------------------------

def test_check_passes_a_healthy_store_and_repairs_a_derived_index(backend):
    store = backend.open()
    store.write([prepared(f"d{i}", f"Story {i} about topic {i}. " * 12) for i in range(3)])
    store.flush()
    report = store.check()
    assert report.ok and report.problems == () and report.documents == 3 and report.vectors == report.chunks
    backend.damage(store)
    assert not store.check().ok
    assert store.check(repair=True).ok
    assert backend.open().check().problems == ()
    assert doc_ids(store, store.keyword_search("topic", 10))


def test_check_reports_a_chunk_that_does_not_match_its_document(backend):
    store = backend.open()
    store.write([prepared("a", "Story about topic one. " * 12), prepared("b", "Another story here. " * 12)])
    if backend.name == "postgres":
        store.execute("UPDATE documents SET text = %s WHERE id = 'a'", ("x" * 300,))
    else:
        store.conn.execute("UPDATE documents SET text = ? WHERE id = 'a'", ("x" * 300,))
    report = store.check(repair=True)
    assert not report.ok and any("'a'" in p and "remove it and add it again" in p for p in report.problems)


# -- several processes -----------------------------------------------------------------------

def _corpus(folder: Path, docs: int, version: int, seed: int = 3) -> tuple[Path, dict[str, int]]:
    """A JSONL corpus and each document's chunk count under the settings' default chunker."""
    rng = random.Random(seed * 100 + version)
    words = "market minister council storm harbour vaccine election river bank court budget energy".split()
    rows, counts = [], {}
    chunker = Chunker(800, 120)
    for n in range(docs):
        sentences = rng.randint(10, 60) + version * (n % 3) * 15
        text = " ".join(f"{' '.join(rng.choice(words) for _ in range(9)).capitalize()} number {n}."
                        for _ in range(sentences))
        rows.append({"id": f"d{n}", "title": f"Article {n}", "text": text})
        counts[f"d{n}"] = len(chunker.split(Document(f"d{n}", f"Article {n}", text)))
    return _jsonl(folder / f"v{version}.jsonl", rows), counts


def _worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _whole_documents(store, versions: list[dict[str, int]]) -> list[str]:
    problems = []
    for info in store.documents():
        if info.chunks not in {v[info.id] for v in versions}:
            problems.append(f"{info.id}: {info.chunks} chunks")
    report = store.check()
    return problems + list(report.problems)


@pytest.mark.integration
def test_concurrent_readers_and_writers(backend, tmp_path):
    v1, counts1 = _corpus(tmp_path, 80, 1)
    v2, counts2 = _corpus(tmp_path, 80, 2)
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({d: sorted({counts1[d], counts2[d], 0}) for d in counts1}))
    spec, stop = json.dumps(backend.spec), tmp_path / "stop"
    backend.open(dim=WORKER_DIM).close()
    readers = [_worker("read", spec, str(expected), str(stop), str(tmp_path / f"r{i}.json")) for i in range(2)]
    for proc in readers:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    writers = [_worker("add", spec, str(path)) for path in (v1, v1, v2)]
    outs = [w.communicate(timeout=300) for w in writers]
    stop.touch()
    for proc in readers:
        proc.wait(timeout=60)
    for writer, (out, err) in zip(writers, outs):
        assert writer.returncode == 0, err
        assert json.loads(out.splitlines()[-1])["errors"] == []
    for i in range(2):
        result = json.loads((tmp_path / f"r{i}.json").read_text())
        assert result["errors"] == 0 and result["bad"] == [] and result["queries"] > 10, result
    store = backend.open(dim=WORKER_DIM)
    assert _whole_documents(store, [counts1, counts2]) == []
    # The last writer started with v2 while the v1 writers ran: rerunning v2 finishes the job.
    _worker("add", spec, str(v2)).communicate(timeout=300)
    assert {d.id: d.chunks for d in store.documents()} == counts2


@pytest.mark.integration
def test_sigkill_during_add_leaves_whole_documents_and_a_rerun_finishes(backend, tmp_path):
    corpus, counts = _corpus(tmp_path, 160, 1)
    spec = json.dumps(backend.spec)
    rng = random.Random(11)
    started = time.monotonic()
    out, err = _worker("add", spec, str(corpus)).communicate(timeout=300)
    full = time.monotonic() - started
    assert json.loads(out.splitlines()[-1])["added"] == len(counts), err
    store = backend.open(dim=WORKER_DIM)
    for doc_id in list(counts)[::2]:
        store.remove(doc_id)  # half the work is left to redo
    killed_with = []
    for _ in range(3):
        proc = _worker("add", spec, str(corpus))
        time.sleep(rng.uniform(0.1, 1.0) * full)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        killed_with.append(store.counts()[0])
        assert _whole_documents(store, [counts]) == []
    missing = sum(counts[d] for d in set(counts) - {info.id for info in store.documents()})
    out, err = _worker("add", spec, str(corpus)).communicate(timeout=300)
    final = json.loads(out.splitlines()[-1])
    assert final["added"] + final["unchanged"] == len(counts) and final["errors"] == [], err
    assert {d.id: d.chunks for d in store.documents()} == counts
    assert final["embedded"] == missing  # nothing committed before a kill is embedded again
    assert min(killed_with) >= len(counts) // 2  # nothing committed was lost
