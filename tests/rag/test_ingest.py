import json
from pathlib import Path

from fakes import HashEmbedder


def article(i: int) -> dict:
    return {"id": f"a{i}", "title": f"Story {i}", "url": f"https://example.org/{i}", "published": "2023-05-18",
            "text": " ".join(f"Paragraph {j} of story {i} mentions town{i} and topic{j}." for j in range(40))}


def write_jsonl(path: Path, rows: list, bad_line: str | None = None) -> Path:
    lines = [json.dumps(r) for r in rows]
    if bad_line is not None:
        lines.insert(1, bad_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_add_is_idempotent_and_cheap_the_second_time(make_app, tmp_path):
    app = make_app()
    corpus = write_jsonl(tmp_path / "c.jsonl", [article(i) for i in range(6)])
    first = app.ingestor.add([corpus])
    assert len(first.added) == 6 and first.chunks > 6 and not first.errors
    embedder: HashEmbedder = app.embedder
    texts_before = embedder.texts
    again = app.ingestor.add([corpus])
    assert again.unchanged == [f"a{i}" for i in range(6)] and again.chunks == 0
    assert embedder.texts == texts_before  # nothing re-embedded
    assert app.store.counts() == (6, first.chunks)


def test_changed_document_replaces_its_chunks_and_reuses_embeddings(make_app, tmp_path):
    app = make_app()
    rows = [article(1)]
    app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", rows)])
    rows[0]["text"] += " A late correction was added."
    embedder: HashEmbedder = app.embedder
    before = embedder.texts
    report = app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", rows)])
    assert report.updated == ["a1"]
    assert embedder.texts - before == 1  # only the changed last chunk was embedded again
    (doc,) = app.store.documents()
    assert doc.chars == len(rows[0]["text"])
    assert app.store.vectors().count == doc.chunks


def test_same_content_under_another_id_is_a_duplicate(make_app, tmp_path):
    app = make_app()
    a = article(1)
    b = dict(a, id="copy-of-a1")
    report = app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", [a, b])])
    assert report.added == ["a1"] and report.duplicates == [("copy-of-a1", "a1")]


def test_bad_line_is_reported_and_the_rest_goes_in(make_app, tmp_path):
    app = make_app()
    corpus = write_jsonl(tmp_path / "c.jsonl", [article(1), article(2)], bad_line='{"id": "x", "text": ')
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary\x00")
    report = app.ingestor.add([corpus, tmp_path / "empty.txt", tmp_path / "blob.txt"])
    assert sorted(report.added) == ["a1", "a2"]
    messages = [str(e) for e in report.errors]
    assert any("c.jsonl:2" in m for m in messages), messages
    assert any("empty.txt" in m for m in messages) and any("blob.txt" in m for m in messages)
    assert app.store.counts()[0] == 2


def test_remove_deletes_everything_of_a_document(make_app, tmp_path):
    app = make_app()
    app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", [article(1), article(2)])])
    assert app.ingestor.remove("a1")
    assert [d.id for d in app.store.documents()] == ["a2"]
    assert not app.store.keyword_search("town1", 10)
    assert app.store.vectors().count == app.store.counts()[1]


def test_shipped_corpus_is_indexed_once(settings, tmp_path):
    from rag.wiring import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.md").write_text("---\nid: seed\ntitle: Seed story\n---\nThe seed story text is here.\n")
    s = settings.replace(corpus_dir=corpus, index_corpus_on_first_run=True)
    app = build(s, embedder=HashEmbedder())
    assert app.index_shipped_corpus().added == ["seed"]
    app.ingestor.remove("seed")
    assert app.index_shipped_corpus() is None  # a user's removal is respected


def test_a_batch_does_not_call_duplicates_the_documents_it_replaces(make_app, tmp_path):
    """Issue 12, finding 5: contents moved between ids in one add are updates, in either order."""
    app = make_app()
    a, b, c = article(1), article(2), article(3)
    app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", [a, b, c])])
    # a1 now holds b's old text and a2 a's (a rotation of contents across ids), c3 unchanged.
    moved = [dict(b, id="a1"), dict(a, id="a2"), c]
    report = app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", moved)])
    assert report.duplicates == [] and sorted(report.updated) == ["a1", "a2"] and report.unchanged == ["a3"]
    stored = {d.id: d.content_hash for d in app.store.documents()}
    assert len(set(stored.values())) == 3
    for doc_id, row in (("a1", b), ("a2", a)):
        (passage,) = [p for p in app.retriever.retrieve(row["text"][:60], top_k=1, mode="keyword")]
        assert passage.doc_id == doc_id
    # A real duplicate of a document this batch leaves alone is still one.
    report = app.ingestor.add([write_jsonl(tmp_path / "d.jsonl", [dict(c, id="copy-of-a3")])])
    assert report.duplicates == [("copy-of-a3", "a3")]


def test_reordered_jsonl_without_ids_is_unchanged(make_app, tmp_path):
    """Issue 12, finding 5: inserting a line at the top re-adds nothing and drops nothing."""
    app = make_app()
    rows = [{k: v for k, v in article(i).items() if k not in ("id", "url")} for i in range(4)]
    app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", rows)])
    report = app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", [article(9), *rows])])
    assert report.added == ["a9"] and len(report.unchanged) == 4 and report.duplicates == []
    assert app.store.counts()[0] == 5


class CountingStore:
    """The real store, counting how often a series of writes is flushed (the vector file written)."""

    def __init__(self, store) -> None:
        self._store = store
        self.saves = 0

    def flush(self) -> None:
        self.saves += 1
        self._store.flush()

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_remove_many_removes_them_all_and_writes_the_vector_file_once(make_app, tmp_path):
    """Review finding D: unsubscribing a feed of many articles rewrote the FAISS file per article."""
    app = make_app()
    app.ingestor.add([write_jsonl(tmp_path / "c.jsonl", [article(i) for i in range(5)])])
    counting = CountingStore(app.store)
    app.ingestor.store = counting
    assert app.ingestor.remove_many(["a0", "a2", "a4", "not-there", "a2"]) == 3
    assert counting.saves == 1
    assert [d.id for d in app.store.documents()] == ["a1", "a3"]
    assert app.store.vectors().count == app.store.counts()[1]
    assert app.ingestor.remove_many(["not-there"]) == 0 and counting.saves == 1  # nothing removed: nothing saved
