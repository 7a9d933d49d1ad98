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
