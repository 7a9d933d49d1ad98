"""How `newsrag` parses its command line (Click), without building an app.

The app is never wired: ``rag.wiring.build`` is replaced by one that records the settings it is
given and stops, so these tests see exactly what each command would run with.
"""
import pytest

import rag.wiring
from rag.cli import COMMANDS, cli, main
from rag.errors import ConfigError


@pytest.fixture
def seen(monkeypatch, tmp_path):
    """The settings each command was built with (the command then fails with "stopped")."""
    for key in [k for k in __import__("os").environ if k.startswith("NEWSRAG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(tmp_path / "data"))
    built = []

    def build(settings, **_):
        built.append(settings)
        raise ConfigError("stopped")

    monkeypatch.setattr(rag.wiring, "build", build)
    return built


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_flags_beat_the_environment_which_beats_the_defaults(seen, capsys, monkeypatch):
    monkeypatch.setenv("NEWSRAG_TOP_K", "3")
    assert run(capsys, "ask", "Who?")[0] == 1
    assert run(capsys, "ask", "Who?", "--top-k", "2", "--retriever", "keyword")[0] == 1
    assert run(capsys, "--model", "smollm2-135m", "list")[0] == 1
    assert [(s.top_k, s.retriever) for s in seen[:2]] == [(3, "hybrid"), (2, "keyword")]
    assert seen[2].model == "smollm2-135m"


def test_options_may_follow_the_arguments(seen, capsys, tmp_path):
    code, _, err = run(capsys, "add", str(tmp_path), "--json")
    assert code == 1 and "stopped" in err  # parsed, and got as far as wiring the app
    code, _, err = run(capsys, "ask", "--json", "Who?", "--as-of", "2024-06-01")
    assert code == 1 and "stopped" in err


@pytest.mark.parametrize("before, after", [
    (["--ray"], []), ([], ["--ray"]), (["--ray", "--ray-workers", "1"], []),
    (["--ray-address", "ray://head:10001"], []), ([], ["--ray", "--ray-address", "head:6379"]),
])
def test_add_ray_takes_the_paths_in_every_order_a_user_types(seen, capsys, tmp_path, before, after):
    """`--ray` once took an optional address, so `add --ray FILE` read FILE as the address and
    failed with "Missing argument PATHS" (issue 24)."""
    code, _, err = run(capsys, "add", *before, str(tmp_path), *after)
    assert code == 1 and "stopped" in err, err


@pytest.mark.parametrize("argv, message", [
    (["ask"], "Missing argument 'QUESTION'"),
    (["add"], "Missing argument 'PATHS...'"),
    (["ask", "Who?", "--as-of", "2024-13-01"], "not a date (YYYY-MM-DD): '2024-13-01'"),
    (["ask", "Who?", "--retriever", "bm25"], "'bm25' is not one of 'hybrid', 'dense', 'keyword'"),
    (["ask", "Who?", "--top-k", "many"], "'many' is not a valid integer"),
    # argparse took any unambiguous prefix of an option; Click takes only whole names.
    (["check", "--rep"], "No such option '--rep'"),
    (["nope"], "No such command 'nope'"),
])
def test_usage_mistakes_exit_2_before_any_setting_is_read(seen, capsys, monkeypatch, argv, message):
    monkeypatch.setenv("NEWSRAG_TOP_K", "lots")  # would be exit 1 if the settings were built
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err
    assert not seen


def test_no_command_shows_the_commands_and_exits_2(capsys):
    code, out, err = run(capsys)
    assert code == 2
    listed = [line.split()[0] for line in (out + err).split("Commands:")[1].strip().splitlines()]
    assert listed == ["add", "remove", "list", "ask", "check", *COMMANDS]


def test_help_exits_0_and_names_the_environment_variables(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "NEWSRAG_DATA_DIR" in out and "eval" in out
    code, out, _ = run(capsys, "eval", "-h")
    assert code == 0 and "--compare RUN_A RUN_B" in out


def test_every_listed_command_loads(capsys):
    for name in COMMANDS:
        assert cli.get_command(None, name).name == name


def test_eval_model_flag_overrides_the_global_one(seen, capsys, tmp_path, monkeypatch):
    import rag.eval.benchmark

    ran = []
    monkeypatch.setattr(rag.eval.benchmark, "run_eval", lambda options, settings: ran.append(settings) or 1 / 0)
    questions = tmp_path / "q.jsonl"
    questions.write_text("", encoding="utf-8")
    with pytest.raises(ZeroDivisionError):
        main(["--model", "qwen2.5-1.5b", "eval", str(questions), "--model", "smollm2-135m", "--top-k", "2"])
    with pytest.raises(ZeroDivisionError):
        main(["--model", "smollm2-135m", "eval", str(questions)])
    assert [(s.model, s.top_k) for s in ran] == [("smollm2-135m", 2), ("smollm2-135m", 5)]
