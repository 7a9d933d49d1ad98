"""Shared fixtures: settings on a temporary data directory, an app wired with fakes, the servers
and real models the integration tests use, and the test tiers those fixtures decide."""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
from pathlib import Path

import pytest

from fakes import HashEmbedder, ScriptedGenerator
from rag.model_files import DEFAULT_MODEL  # a test that loads it must be marked slow (real_app_factory)
from rag.settings import Settings, load_settings

_DATABASES = itertools.count()
# The benchmark beside the checkout (../shared/bench), with the files the tests read from it.
SHARED_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
SHARED_BENCH_FILES = ("score.py", "rtqa-small/questions.jsonl", "rtqa-small/corpus.jsonl")

# -- test tiers -------------------------------------------------------------------------------
# A test's tier follows from the fixtures it uses, so that `-m "not integration"` cannot start a
# server or load a model. `item.fixturenames` is the whole closure of what a test requests, so a
# fixture built on one of these (postgres_url on postgres_server, real_app_factory on
# model_cache_dir) puts its users in the tier too. Fixtures reached only at run time
# (`request.getfixturevalue`, as the backend-parametrised contract suites do) are not in that
# closure: the parameter that reaches them carries the mark itself
# (`pytest.param("postgres", marks=pytest.mark.integration)`), and `pytest_fixture_setup` below
# fails a test that reaches one without it. The fixture HTTP server (`web`) is a thread in this
# process and stays in the unit tier.
TIER_FIXTURES: dict[str, tuple[str, ...]] = {
    "postgres_server": ("integration",),  # a PostgreSQL server
    # postgres_url needs postgres_server, so the closure has both; it is named for the run-time
    # check, which sees only function-scoped fixtures (a session one is set up at session level).
    "postgres_url": ("integration",),
    "smollm2_server": ("integration",),  # llama-cpp-python's model server, a process
    "fresh_smollm2_server": ("integration",),
    "model_cache_dir": ("integration",),  # real models: real_app_factory and the model files
    "browser": ("integration",),  # chromium, in tests/ui/test_ui_browser.py
    "shared_bench": ("integration",),  # the benchmark data beside the checkout
}

_running: list[pytest.Item] = []  # the test being set up, for the checks below


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tiers of the fixtures it uses (before `-m` selects)."""
    for item in items:
        for name in item.fixturenames:
            for marker in TIER_FIXTURES.get(name, ()):
                if item.get_closest_marker(marker) is None:
                    item.add_marker(marker)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _running[:] = [item]


def _require(marker: str, why: str) -> None:
    item = _running[0] if _running else None
    if item is not None and item.get_closest_marker(marker) is None:
        pytest.fail(f"{item.nodeid} {why} but is not marked {marker}: mark it (or the parameter that "
                    f"leads there, with pytest.param(..., marks=pytest.mark.{marker}))", pytrace=False)


def pytest_fixture_setup(fixturedef, request) -> None:
    """A test that reaches a tiered fixture at run time must already carry the tier's mark."""
    for marker in TIER_FIXTURES.get(fixturedef.argname, ()):
        _require(marker, f"uses the fixture {fixturedef.argname}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                         index_corpus_on_first_run=False)


@pytest.fixture
def make_app(settings):
    """Build an app with fake models; pass replies for the scripted generator."""
    from rag.wiring import build

    def make(*replies: str, **changes):
        return build(settings.replace(**changes) if changes else settings,
                     embedder=HashEmbedder(), generator=ScriptedGenerator(*replies))

    return make



@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory) -> Path:
    """One model cache for the whole run, so the 1.1 GB default model is assembled once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def real_app_factory(model_cache_dir, tmp_path_factory):
    """Build apps with the real embedder and a real GGUF model on a fresh data directory.

    ``wrap_generator`` wraps the real generator (to watch what reaches the model).
    """
    from rag.wiring import build, make_generator

    def make(model: str = "smollm2-135m", wrap_generator=None, **changes):
        if model == DEFAULT_MODEL:
            _require("slow", f"loads {DEFAULT_MODEL}")
        data = tmp_path_factory.mktemp("data")
        s = load_settings({}, data_dir=data, cache_dir=model_cache_dir, model=model, **changes)
        return build(s, generator=wrap_generator(make_generator(s)) if wrap_generator else None)

    return make


@pytest.fixture(scope="session")
def shared_bench() -> Path:
    """The benchmark folder beside the checkout (its scorer and the rtqa-small set).

    CI always has it, so there (CI=true) a missing file fails the tests that need it instead of
    hiding a broken path behind a skip; on a developer machine without it they skip.
    """
    missing = [name for name in SHARED_BENCH_FILES if not (SHARED_BENCH / name).is_file()]
    if missing:
        problem = f"{SHARED_BENCH} lacks {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}, and CI=true: CI always has the benchmark", pytrace=False)
        pytest.skip(problem)
    return SHARED_BENCH


@pytest.fixture(scope="session")
def _fixture_server():
    from fixture_server import FixtureServer

    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def web(_fixture_server):
    """The session's 127.0.0.1 HTTP server, with no routes and an empty log."""
    _fixture_server.reset()
    yield _fixture_server
    _fixture_server.reset()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL 16 server with pgvector for the whole run, on a Unix socket in a temp folder.

    From the `pgserver` wheel (the postgres extra, which the test install takes): without it the
    tests that need it fail, they do not skip. As root, pgserver runs the server as its own
    unprivileged user.
    """
    try:
        import pgserver
    except ImportError:
        pytest.fail("pgserver is not installed: run scripts/install.sh --test (newsrag[postgres])")
    # Not under pytest's temporary folder: pytest makes that private to root again, and the
    # server (another user) must still reach its folder when it is stopped.
    folder = Path(tempfile.mkdtemp(prefix="newsrag-pg-"))
    with pgserver.get_server(folder, cleanup_mode="delete") as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A URL to a new, empty database on the session's server."""
    import psycopg

    name = "t_" + re.sub(r"\W+", "_", request.node.name.lower())[:40] + f"_{next(_DATABASES)}"
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.get_uri(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def backend_settings(request, tmp_path) -> Settings:
    """Settings on a fresh SQLite data folder, or on a new PostgreSQL database: the two backends
    a contract suite runs over."""
    spec = {"data_dir": str(tmp_path / "data")}
    if request.param == "postgres":
        spec["store"] = request.getfixturevalue("postgres_url")
    return load_settings({}, **spec)


@contextlib.contextmanager
def _smollm2_server(tmp_path_factory):
    from rag.model_files import resolve_model
    from rag.serving import plan_server, start_server, stop_server, wait_ready
    from servers import free_port

    model = resolve_model("smollm2-135m", tmp_path_factory.mktemp("cache"))
    # One thread: on a shared, loaded machine two spinning threads lose more than they gain.
    plan = plan_server(model, port=free_port(), n_threads=1, engine="python")
    log_path = tmp_path_factory.mktemp("smollm2-server") / "server.log"
    with log_path.open("wb") as log:
        process = start_server(plan, log)
    try:
        wait_ready(plan, process, timeout_s=120)
        yield plan.url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def smollm2_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on SmolLM2-135M at 127.0.0.1, for the session.

    Yields its base URL (``http://127.0.0.1:PORT/v1``); the log is kept in a temporary folder.
    """
    with _smollm2_server(tmp_path_factory) as url:
        yield url


@pytest.fixture
def fresh_smollm2_server(tmp_path_factory):
    """The same server started for one test, so that its replies do not depend on what other
    tests asked it (llama.cpp reuses the evaluated prefix of the previous prompt)."""
    with _smollm2_server(tmp_path_factory) as url:
        yield url
