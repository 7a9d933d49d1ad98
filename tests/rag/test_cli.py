"""`newsrag` as a user runs it, in-process, with the real embedder on a temporary data dir."""
import json

import pytest

from rag.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def env(monkeypatch, tmp_path, model_cache_dir):
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSRAG_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("NEWSRAG_MODEL", "smollm2-135m")
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_first_run_indexes_the_shipped_corpus_and_lists_it(env, capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    (doc,) = json.loads(out)
    assert doc["id"] == "china-ai-alliances" and doc["chunks"] >= 1 and doc["title"].startswith("China")


def test_add_reports_bad_files_and_keeps_the_good_ones(env, capsys):
    folder = env / "in"
    folder.mkdir()
    (folder / "good.md").write_text("# Volcano erupts\n\nMount Etna erupted on Sunday, closing Catania airport.\n")
    (folder / "empty.txt").write_text("")
    (folder / "rows.jsonl").write_text('{"id": "r1", "text": "Row one text about tides."}\n{broken\n')
    code, out, err = run(capsys, "add", str(folder), "--json")
    assert code == 1
    report = json.loads(out)
    assert sorted(report["added"]) == ["good", "r1"]
    assert any("empty.txt" in e for e in report["errors"]) and any("rows.jsonl:2" in e for e in report["errors"])
    assert "rows.jsonl:2" in err
    code, out, _ = run(capsys, "add", str(folder / "good.md"))
    assert "unchanged 1" in out
    code, out, _ = run(capsys, "remove", "good", "nope")
    assert code == 1 and "removed 1" in out
    code, out, _ = run(capsys, "list", "--json")
    assert "good" not in {d["id"] for d in json.loads(out)}


def test_remove_of_several_ids_writes_the_vector_file_once(env, capsys, monkeypatch):
    """Review finding: `remove A B C` rewrote the whole FAISS file once per id."""
    from index.sqlite.store import SqliteStore

    rows = "".join(json.dumps({"id": f"n{i}", "text": f"Story {i} about the harbour's tides."}) + "\n"
                   for i in range(4))
    (env / "rows.jsonl").write_text(rows)
    assert run(capsys, "add", str(env / "rows.jsonl"))[0] == 0
    saves = []
    real = SqliteStore.save_vectors
    monkeypatch.setattr(SqliteStore, "save_vectors", lambda self: (saves.append(1), real(self))[1])
    code, out, err = run(capsys, "remove", "n0", "n2", "n3", "nope", "n2")
    assert code == 1 and "removed 3" in out and "'nope'" in err
    assert len(saves) == 1
    code, out, _ = run(capsys, "list", "--json")
    assert {"n1", "china-ai-alliances"} == {d["id"] for d in json.loads(out)}


def test_ask_json_is_machine_readable(env, capsys):
    code, out, _ = run(capsys, "ask", "Which firms are pooling chip R&D?", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"answer", "abstained", "citations", "retrieved", "timings", "latency_s"} <= data.keys()
    assert data["retrieved"][0]["doc_id"] == "china-ai-alliances"
    assert all({"doc_id", "text", "chunk_id"} <= c.keys() for c in data["citations"])


def test_missing_model_file_is_a_clear_error(env, capsys):
    code, _, err = run(capsys, "--model", str(env / "nope.gguf"), "ask", "Which firms are pooling chip R&D?")
    assert code == 1 and "nope.gguf" in err


def test_bad_setting_is_a_clear_error(env, capsys, monkeypatch):
    monkeypatch.setenv("NEWSRAG_TOP_K", "lots")
    code, _, err = run(capsys, "list")
    assert code == 1 and "'lots'" in err


def test_add_mixes_files_and_urls_and_reports_bad_urls(env, capsys, monkeypatch, web):
    from feed_samples import article_html
    from fixture_server import Route

    monkeypatch.setenv("NEWSRAG_ALLOW_PRIVATE_URLS", "true")
    web.routes["/ferry"] = Route(article_html("Valletta approves ferry terminal", [
        "The harbour authority of Valletta approved a new ferry terminal on Tuesday, the first in thirty years.",
        "Construction starts in May and takes two years, with a budget of 40 million euros."]),
        headers={"Content-Type": "text/html"})
    note = env / "note.md"
    note.write_text("# Tide tables\n\nSpring tides peak on Friday along the estuary.\n")
    code, out, err = run(capsys, "add", str(note), web.url("/ferry"), web.url("/missing"), "--json")
    assert code == 1
    report = json.loads(out)
    assert len(report["added"]) == 2 and "note" in report["added"]
    assert report["errors"] == [f"{web.url('/missing')}: HTTP 404"]
    code, out, _ = run(capsys, "list", "--json")
    ferry = next(d for d in json.loads(out) if d["title"] == "Valletta approves ferry terminal")
    assert ferry["published"] == "2024-03-12" and ferry["url"] == web.url("/ferry")
    monkeypatch.setenv("NEWSRAG_ALLOW_PRIVATE_URLS", "false")
    code, out, err = run(capsys, "add", web.url("/ferry"))
    assert code == 1 and "non-public address" in err


def test_feed_commands_subscribe_sync_list_and_remove(env, capsys, monkeypatch, web):
    from feed_samples import Item, rss
    from fixture_server import Route

    monkeypatch.setenv("NEWSRAG_ALLOW_PRIVATE_URLS", "true")
    text = "The Tarragona council voted to extend the coastal tram line to the port. " * 10
    web.routes["/f.xml"] = Route(rss("Coast News", [Item(f"g{i}", f"Tram story {i}", web.url(f"/a/{i}"), "2024-03-0{}".format(i + 1),
                                                         content=f"<p>{i}. {text}</p>") for i in range(3)]), etag='"e"')
    opml = env / "subs.opml"
    opml.write_text(f'<opml><body><outline xmlUrl="{web.url("/f.xml")}"/><outline xmlUrl="{web.url("/404.xml")}"/>'
                    "</body></opml>")
    code, out, _ = run(capsys, "feed", "add", web.url("/f.xml"), "--every", "30m")
    assert code == 0 and "subscribed to" in out and "3 new" in out
    code, out, _ = run(capsys, "feed", "import", str(opml))
    assert code == 0 and "1 feeds subscribed, 1 already there" in out
    code, out, _ = run(capsys, "sync")
    assert code == 1 and "(not modified)" in out and f"FAILED {web.url('/404.xml')}: HTTP 404" in out
    code, out, _ = run(capsys, "feed", "list", "--json")
    state = {f["url"]: f for f in json.loads(out)}
    assert state[web.url("/f.xml")]["items"] == 3 and state[web.url("/f.xml")]["interval_s"] == 1800
    assert state[web.url("/404.xml")]["last_error"] == "HTTP 404"
    code, out, _ = run(capsys, "feed", "list")
    assert "last error: HTTP 404" in out and "Coast News" in out
    code, out, _ = run(capsys, "feed", "remove", web.url("/f.xml"))
    assert code == 0 and "removed 3" in out
    code, out, _ = run(capsys, "feed", "add", "file:///etc/passwd")
    assert code == 1


def test_ask_says_which_window_a_time_question_searched(env, capsys):
    code, out, err = run(capsys, "ask", "Which firms pooled chip R&D this week?", "--as-of", "2025-05-02")
    assert code == 0 and "preferring articles published 2025-04-26 to 2025-05-04, for “this week”" in err


def test_ask_json_includes_the_window_the_answer_used(env, capsys):
    code, out, _ = run(capsys, "ask", "Which firms pooled chip R&D this week?", "--as-of", "2025-05-02", "--json")
    assert code == 0
    assert json.loads(out)["window"] == {"first_day": "2025-04-26", "last_day": "2025-05-04", "phrase": "this week"}
    code, out, _ = run(capsys, "ask", "Which firms are pooling chip R&D?", "--json")
    assert json.loads(out)["window"] is None


def test_ask_prints_the_window_from_the_answer_not_resolving_it_again(env, capsys, monkeypatch):
    # With time windows off the retriever prefers no window, and the CLI says none.
    monkeypatch.setenv("NEWSRAG_TIME_WINDOWS", "false")
    code, _, err = run(capsys, "ask", "Which firms pooled chip R&D this week?", "--as-of", "2025-05-02")
    assert code == 0 and "preferring" not in err


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_ask_with_an_empty_question_is_a_one_line_error(env, capsys, question):
    """Issue 12, finding 8: exit 2 and one line on stderr, not a traceback."""
    code, out, err = run(capsys, "ask", question)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "question is empty" in err and "Traceback" not in err


def test_ask_refuses_an_over_long_question(env, capsys, monkeypatch):
    """Issue 12, finding 12: the question length limit holds on the command line too."""
    monkeypatch.setenv("NEWSRAG_MAX_QUESTION_CHARS", "40")
    code, out, err = run(capsys, "ask", "Which firms " + "really " * 10 + "pool chip R&D?")
    assert code == 2 and out == "" and err.count("\n") == 1 and "40 characters" in err


# -- issue 23: every input bounded, on every path into the store ----------------------------------

def _stored(capsys) -> dict[str, dict]:
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    return {d["id"]: d for d in json.loads(out) if d["id"] != "china-ai-alliances"}


def _over_limit_files(folder, kind: str):
    """A file whose text is far over a 1,000-character cap, and a small one that is not."""
    from tests.rag.loaders.test_loaders_pdf import bomb_pdf

    # Twenty times the cap: enough to show it, small enough to embed quickly where it is not applied.
    long_text = "The council met again about the tides. " * 500
    path = folder / {"txt": "long.txt", "jsonl": "long.jsonl", "pdf": "bomb.pdf"}[kind]
    if kind == "txt":
        path.write_text(long_text)
    elif kind == "jsonl":
        path.write_text(json.dumps({"id": "long-row", "text": long_text}) + "\n")
    else:
        path.write_bytes(bomb_pdf(pages=20, lines=25))  # 20 pages sharing one Flate stream: 40,000 characters
        assert path.stat().st_size < 5_000
    return path


@pytest.mark.parametrize("kind", ["txt", "jsonl", "pdf"])
@pytest.mark.parametrize("ray", [False, True], ids=["plain", "ray"])
def test_add_cli_applies_max_text_chars(env, capsys, monkeypatch, kind, ray):
    """Issue 23, finding 1: `add` (and `add --ray`) read files under the ingestor's character cap."""
    run(capsys, "list")  # the shipped corpus first, under the default limits
    monkeypatch.setenv("NEWSRAG_MAX_TEXT_CHARS", "1000")
    path = _over_limit_files(env, kind)
    code, out, err = run(capsys, "add", str(path), "--json", *(["--ray"] if ray else []))
    report = json.loads(out)
    assert code == 1 and report["added"] == [] and report["chunks"] == 0
    (error,) = report["errors"]
    assert error.startswith(str(path)) and "1,000-character limit (max_text_chars)" in error
    assert "max_text_chars" in err and _stored(capsys) == {}


def test_add_cli_applies_max_file_mb(env, capsys, monkeypatch):
    """Issue 23, finding 1: the file size limit on the same path, for a single file and a JSONL line."""
    monkeypatch.setenv("NEWSRAG_MAX_FILE_MB", "0.01")  # 10,485 bytes
    big = env / "big.md"
    big.write_text("# Tides\n\n" + "Spring tides peak on Friday. " * 500)
    rows = env / "rows.jsonl"
    rows.write_text(json.dumps({"id": "ok", "text": "Neap tides are gentle."}) + "\n"
                    + json.dumps({"id": "big", "text": "x " * 8000}) + "\n")
    code, out, _ = run(capsys, "add", str(big), str(rows), "--json")
    report = json.loads(out)
    assert code == 1 and report["added"] == ["ok"]
    assert sorted(report["errors"]) == [f"{big}: file is 14.2 KB, over the 10.2 KB limit",
                                        f"{rows}:2: line is 15.7 KB, over the 10.2 KB limit"]
    assert set(_stored(capsys)) == {"ok"}


def test_add_cli_refuses_over_long_ids_titles_and_urls_with_file_and_line(env, capsys):
    """Issue 23, finding 6: a JSONL row stored a 300,000-character id, a 3,000,000-character title
    and a 1,000,009-character URL; front matter the same."""
    rows = env / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"id": "i" * 300_000, "text": "Row one about ferries."},
        {"id": "t", "title": "T" * 3_000_000, "text": "Row two about ferries."},
        {"id": "u", "url": "https://e.org/" + "u" * 1_000_000, "text": "Row three about ferries."},
        {"id": "wide-url", "url": "https://e.org/" + "\u6f22" * 700, "text": "Row four about ferries."},
        {"id": "fine", "title": "Ferries", "url": "https://e.org/ferries", "text": "Row five about ferries."},
    ]) + "\n")
    note = env / "note.md"
    note.write_text("---\ntitle: Tides\nid: " + "n" * 300 + "\n---\nSpring tides peak on Friday.\n")
    code, out, _ = run(capsys, "add", str(rows), str(note), "--json")
    report = json.loads(out)
    assert code == 1 and report["added"] == ["fine"]
    errors = report["errors"]
    assert errors[0] == f"{rows}:1: 'id': id is 300,000 characters, over the 256-character limit (max_id_chars)"
    assert errors[1] == f"{rows}:2: 'title': title is 3,000,000 characters, over the 1,000-character limit (max_title_chars)"
    assert errors[2] == f"{rows}:3: 'url': URL is 1,000,014 characters, over the 2,048-character limit (max_url_chars)"
    assert errors[3].startswith(f"{rows}:4: 'url': URL is 2,114 bytes in UTF-8, over the 2,048-byte limit")
    assert errors[4] == f"{note}:3: front matter id: id is 300 characters, over the 256-character limit (max_id_chars)"
    assert set(_stored(capsys)) == {"fine"}


def test_add_url_applies_max_text_chars_and_cuts_a_long_page_title(env, capsys, monkeypatch, web):
    """Issue 23, finding 6: a fetched page of 176,015 characters passed a 50,000 cap."""
    from feed_samples import article_html
    from fixture_server import Route

    monkeypatch.setenv("NEWSRAG_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("NEWSRAG_MAX_TEXT_CHARS", "50000")
    paragraph = "The harbour authority of Valletta approved a new ferry terminal on Tuesday. " * 25
    # distinct paragraphs: trafilatura drops repeated ones
    web.routes["/long"] = Route(article_html("Valletta ferry", [f"{n}. {paragraph}" for n in range(100)]),
                                headers={"Content-Type": "text/html"})
    web.routes["/titled"] = Route(article_html("Ferry " * 2000, [paragraph]), headers={"Content-Type": "text/html"})
    code, out, err = run(capsys, "add", web.url("/long"), web.url("/titled"), "--json")
    report = json.loads(out)
    assert code == 1 and len(report["added"]) == 1
    assert report["errors"] == [f"{web.url('/long')}: text is over the 50,000-character limit (max_text_chars): "
                                "split the file, or raise the limit"]
    (doc,) = _stored(capsys).values()
    assert doc["title"].startswith("Ferry Ferry") and len(doc["title"]) <= 1000 and doc["title"].endswith("\u2026")
