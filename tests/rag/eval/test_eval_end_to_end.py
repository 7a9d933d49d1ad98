"""A whole eval with fake models over a tiny corpus: results, reports, reuse, resume, naive, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.eval.benchmark import EvalOptions, naive_settings, run_eval

REQUIRED = {"id", "question", "answer", "abstained", "citations", "retrieved", "latency_s", "first_token_s",
            "tokens", "gold_answer", "distractors", "answer_doc_ids", "asked_on"}


def results(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_eval_writes_results_and_reports(tmp_path, eval_settings, corpus, questions, fake_build):
    run = tmp_path / "run"
    outcome = run_eval(EvalOptions(questions, run, corpus, progress=False), eval_settings, build=fake_build())

    rows = results(run)
    assert [r["id"] for r in rows] == ["q1", "q2", "q3", "q4", "q5"]
    for r in rows:
        assert REQUIRED <= r.keys()
        assert r["retrieved"] and all({"doc_id", "chunk_id", "score", "text"} <= p.keys() for p in r["retrieved"])
        assert [p["rank"] for p in r["retrieved"]] == list(range(1, len(r["retrieved"]) + 1))
        for c in r["citations"]:
            assert c["span"] and c["span"] in c["text"] and {"doc_id", "chunk_id"} <= c.keys()
    assert [r["correct"] for r in rows] == [True, True, False, True, None]
    assert rows[0]["retrieved"][0]["doc_id"] == "lynx"

    m = outcome.metrics
    assert (m.questions, m.answered, m.with_gold) == (5, 5, 4)
    assert m.accuracy == 0.75 and m.cited_accuracy == 0.75 and m.abstain_rate == 0.0
    assert m.citation_coverage == 1.0 and m.citation_precision == 1.0  # the engine repairs citations
    assert m.recall["doc_recall@3"] == 1.0 and m.doc_mrr is not None

    for name in ("config.json", "report.json", "report.md", "report.png"):
        assert (run / name).is_file(), name
    assert (run / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((run / "config.json").read_text())
    assert config["top_k"] == 3 and config["retriever"] == "hybrid" and config["naive"] is False
    report = json.loads((run / "report.json").read_text())
    assert report["metrics"]["accuracy"] == 0.75 and "text_recall@3" in report["metrics"]
    md = (run / "report.md").read_text()
    assert "| accuracy | 0.750 |" in md and "q3" in md and "rag.citations.support" in md
    assert outcome.index_dir is not None and outcome.index_dir.parent == eval_settings.data_dir / "eval-indexes"


def test_a_rerun_reuses_the_index_and_skips_answered_questions(tmp_path, eval_settings, corpus, questions,
                                                               fake_build):
    run = tmp_path / "run"
    made: list = []
    first = run_eval(EvalOptions(questions, run, corpus, progress=False), eval_settings, build=fake_build(made=made))
    again = run_eval(EvalOptions(questions, run, corpus, progress=False), eval_settings, build=fake_build(made=made))
    assert again.summary.skipped == 5 and again.summary.answered == 0
    assert made[1].seen == []  # no question reached the model
    assert again.index_dir == first.index_dir
    assert again.metrics == first.metrics
    assert len(results(run)) == 5


def test_a_changed_corpus_updates_the_same_index(tmp_path, eval_settings, corpus, questions, fake_build,
                                                 write_jsonl):
    from rag.wiring import build
    from fakes import HashEmbedder

    first = run_eval(EvalOptions(questions, tmp_path / "a", corpus, limit=1, progress=False), eval_settings,
                     build=fake_build())
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    write_jsonl(corpus, rows[1:] + [{"id": "extra", "title": "Extra", "text": "An extra article about owls."}])
    second = run_eval(EvalOptions(questions, tmp_path / "b", corpus, limit=1, progress=False), eval_settings,
                      build=fake_build())
    assert second.index_dir == first.index_dir
    store = build(eval_settings.replace(data_dir=second.index_dir), embedder=HashEmbedder()).store
    ids = {d.id for d in store.documents()}
    assert "extra" in ids and "lynx" not in ids and len(ids) == 6


def test_other_chunk_settings_get_their_own_index(tmp_path, eval_settings, corpus, questions, fake_build):
    a = run_eval(EvalOptions(questions, tmp_path / "a", corpus, limit=1, progress=False), eval_settings,
                 build=fake_build())
    b = run_eval(EvalOptions(questions, tmp_path / "b", corpus, limit=1, progress=False),
                 eval_settings.replace(chunk_size=300, chunk_overlap=30), build=fake_build())
    assert a.index_dir != b.index_dir


def test_resuming_with_other_settings_is_refused(tmp_path, eval_settings, corpus, questions, fake_build):
    run = tmp_path / "run"
    run_eval(EvalOptions(questions, run, corpus, limit=2, progress=False), eval_settings, build=fake_build())
    with pytest.raises(ConfigError, match="top_k: 3 -> 4"):
        run_eval(EvalOptions(questions, run, corpus, progress=False), eval_settings.replace(top_k=4),
                 build=fake_build())
    # --limit is not an answer setting: raising it extends the same run.
    more = run_eval(EvalOptions(questions, run, corpus, limit=4, progress=False), eval_settings, build=fake_build())
    assert (more.summary.skipped, more.summary.answered) == (2, 2)


def test_naive_baseline_uses_whole_passages_and_keeps_the_reply_as_written(tmp_path, eval_settings, corpus,
                                                                           questions, fake_build):
    made: list = []
    settings = naive_settings(eval_settings, {})
    assert (settings.chunk_size, settings.chunk_overlap, settings.retriever, settings.top_k) == (1000, 150, "dense", 4)
    outcome = run_eval(EvalOptions(questions, tmp_path / "naive", corpus, naive=True, progress=False), settings,
                       build=fake_build("[1]", "Grindavik was evacuated [2].", "Gukesh won [9].",
                                        "It runs three times a week.", "A whale [1][2].", made=made))
    rows = results(tmp_path / "naive")
    assert rows[0]["answer_marked"] == "[1]" and rows[0]["citations"][0]["span"] == rows[0]["citations"][0]["text"]
    # The scored answer is the text without markers: "[1]" would read as the number 1.
    assert rows[0]["answer"] == "" and rows[1]["answer"] == "Grindavik was evacuated."
    assert rows[1]["answer_marked"] == "Grindavik was evacuated [2]."
    assert rows[2]["citations"] == []  # [9] names no passage: ignored, not repaired
    assert rows[3]["citations"] == [] and rows[3]["correct"] is True
    assert [len(r["retrieved"]) for r in rows] == [4] * 5  # dense top-4 (the corpus has six articles)
    prompt = made[0].seen[0]
    assert "cite the passages" in prompt[0]["content"]
    assert rows[0]["retrieved"][0]["text"] in prompt[1]["content"]  # the whole passage went in
    m = outcome.metrics
    assert m.bare_citation_rate == 0.2 and m.citation_coverage == pytest.approx(2 / 4)
    assert json.loads((tmp_path / "naive" / "config.json").read_text())["naive"] is True


def test_the_cli_runs_an_eval_and_compares_runs(tmp_path, corpus, questions, fake_build, monkeypatch, capsys):
    import rag.wiring
    from rag.cli import main

    for key in [k for k in __import__("os").environ if k.startswith("NEWSRAG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setattr(rag.wiring, "build", fake_build())
    config = tmp_path / "config.toml"
    config.write_text("min_evidence = 0.0\nindex_corpus_on_first_run = false\n", encoding="utf-8")
    common = ["--data-dir", str(tmp_path / "data"), "--config", str(config), "eval", str(questions),
              "--corpus", str(corpus), "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "a"), "--top-k", "2", "--model", "smollm2-135m"]) == 0
    out = capsys.readouterr().out
    assert "5 questions: 0 already done, 5 answered now" in out and "accuracy: 0.75" in out
    assert "text_recall@2" in out and f"run folder: {tmp_path / 'a'}" in out
    config_a = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config_a["top_k"] == 2 and config_a["model"] == "smollm2-135m"

    monkeypatch.setattr(rag.wiring, "build", fake_build(
        "The Iberian lynx [1].", "Reykjavik [1].", "Gukesh [1].", "Three times a week [1].", "A whale [1]."))
    assert main(common + ["--out", str(tmp_path / "b"), "--retriever", "keyword"]) == 0
    capsys.readouterr()
    assert main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b" / "results.jsonl")]) == 0
    shown = capsys.readouterr().out
    assert "compared on the 5 questions" in shown
    assert "1 wrong in A, right in B:" in shown and "  q3:" in shown
    assert "1 right in A, wrong in B:" in shown and "  q2:" in shown


def test_the_cli_reports_usage_mistakes_as_errors(tmp_path, capsys):
    from rag.cli import main

    assert main(["--data-dir", str(tmp_path), "eval"]) == 1
    assert "eval needs QUESTIONS.jsonl" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "eval", str(tmp_path / "missing.jsonl")]) == 1
    assert "missing.jsonl: question file not found" in capsys.readouterr().err


def test_default_run_folder_names_the_question_set_and_method(tmp_path, eval_settings):
    from rag.eval.benchmark import default_run_dir

    small = EvalOptions(tmp_path / "rtqa-small" / "questions.jsonl")
    dev = EvalOptions(tmp_path / "rtqa-dev" / "questions.jsonl", naive=True)
    assert default_run_dir(small, eval_settings) == Path("runs/rtqa-small-questions-hybrid-k3-c800-qwen2.5-1.5b")
    assert default_run_dir(dev, naive_settings(eval_settings, {})).name == "rtqa-dev-questions-naive-k4-c1000-qwen2.5-1.5b"


def test_question_dates_keep_later_articles_out_unless_ignored(tmp_path, eval_settings, corpus, questions,
                                                              fake_build):
    every = eval_settings.replace(top_k=6)  # the whole corpus, so only the date can leave one out
    dated = run_eval(EvalOptions(questions, tmp_path / "dated", corpus, limit=1, progress=False), every,
                     build=fake_build())
    undated = run_eval(EvalOptions(questions, tmp_path / "undated", corpus, limit=1, progress=False, dates=False),
                       every, build=fake_build())
    # q1 was asked on 2024-06-21: the December 2024 chess article was not news yet.
    assert "chess" not in {p["doc_id"] for p in results(dated.run_dir)[0]["retrieved"]}
    assert "chess" in {p["doc_id"] for p in results(undated.run_dir)[0]["retrieved"]}
    assert json.loads((undated.run_dir / "config.json").read_text())["dates"] is False
    assert "question dates: ignored" in (undated.run_dir / "report.md").read_text()
