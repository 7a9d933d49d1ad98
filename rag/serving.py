"""Start a local OpenAI-compatible llama.cpp server on a GGUF file (``newsrag serve-model``).

Two engines, best first:

* ``llama-server``, llama.cpp's own server, built by ``scripts/install.sh --llama-server`` into
  ``.venv/bin``: continuous batching over ``--parallel`` slots, so several conversations decode
  together (one batched forward pass per step serves every slot).
* ``llama_cpp.server`` from ``llama-cpp-python[server]``: always available, but one ``Llama``
  behind a lock, so answers are decoded one after another whatever the number of clients (and,
  unless told otherwise, a new request cuts the one being streamed short).

This module builds the command line, starts the process and waits until it answers; it never
downloads anything. With an API key, both engines answer only requests that carry it (``Bearer``);
the key goes to the server in its environment, never on its command line, which every user of the
machine can read. A host beyond this machine needs a key or ``allow_public_host``
(``check_exposure``). Talking to a server is ``rag.remote``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Sequence

from rag.errors import ConfigError, ModelError
from rag.hosts import is_loopback

ENGINES = ("auto", "llama-server", "python")
LLAMA_SERVER = "llama-server"
# Where each engine reads its API key from the environment: llama.cpp's --api-key is declared with
# set_env("LLAMA_API_KEY") in common/arg.cpp, the Python server's ServerSettings.api_key is a
# pydantic setting. Any of these left in our own environment is not passed on (nor a key file).
KEY_VARIABLES = {LLAMA_SERVER: "LLAMA_API_KEY", "python": "API_KEY"}
INHERITED_KEYS = ("LLAMA_API_KEY", "LLAMA_ARG_API_KEY_FILE", "API_KEY")


@dataclass(frozen=True)
class ServerPlan:
    """What to run: the command, where it will listen, and which engine it is."""

    argv: tuple[str, ...]
    url: str  # the OpenAI base URL, ending in /v1
    engine: str  # "llama-server" or "python"
    parallel: int  # conversations decoded at once
    api_key: str = field(default="", repr=False)  # "" serves without authentication

    @property
    def model_setting(self) -> str:
        return f"openai:{self.url}"

    def server_env(self) -> dict[str, str]:
        """The server process's environment: ours, with its key variable set to this plan's key or
        removed (a key left in the shell must not decide who may use the server)."""
        env = {name: value for name, value in os.environ.items() if name not in INHERITED_KEYS}
        if self.api_key:
            env[KEY_VARIABLES[self.engine]] = self.api_key
        return env

    def headers(self) -> dict[str, str]:
        """What a request to the server carries to be let in."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def check_exposure(host: str, *, api_key: str, allow_public_host: bool) -> None:
    """Raise ConfigError for a ``host`` beyond this machine with neither a key nor ``allow_public_host``:
    whoever reaches the server could use the model (and the machine's cores) unasked."""
    if not api_key and not allow_public_host and not is_loopback(host):
        raise ConfigError(
            f"host {host!r} lets other machines use the model server: set api_key (NEWSRAG_API_KEY), which "
            "the server then requires and the chat sends, or allow_public_host = true (--allow-public-host) "
            "to serve it without a key")


def find_llama_server() -> Path | None:
    """llama.cpp's server binary: beside this Python (where install.sh builds it), else on PATH."""
    beside = Path(sys.executable).parent / LLAMA_SERVER
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(LLAMA_SERVER)
    return Path(found) if found else None


def plan_server(model: Path, *, host: str = "127.0.0.1", port: int = 8080, parallel: int = 1,
                n_ctx: int = 4096, n_threads: int = 0, flash_attn: bool = True, engine: str = "auto",
                embeddings: bool = False, extra: Sequence[str] = (), api_key: str = "") -> ServerPlan:
    """The command for ``engine`` ("auto": llama-server when built, else the Python server).

    ``n_ctx`` is per conversation: llama-server splits its context between its slots, so it gets
    ``n_ctx * parallel``. The Python server has one slot; asking it for more is an error.
    ``embeddings`` makes llama-server an embeddings-only server (its ``--embeddings``); the Python
    server serves both. ``api_key``: the key every request must carry ("" for none).
    """
    if engine not in ENGINES:
        raise ModelError(f"unknown server engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if parallel < 1:
        raise ModelError(f"--parallel must be at least 1, got {parallel}")
    threads = n_threads or os.cpu_count() or 1
    binary = find_llama_server() if engine in ("auto", "llama-server") else None
    if engine == "llama-server" and binary is None:
        raise ModelError("llama-server is not built: run scripts/install.sh --llama-server")
    url = f"http://{host}:{port}/v1"
    if binary is not None:
        argv = [str(binary), "--model", str(model), "--host", host, "--port", str(port),
                "--parallel", str(parallel), "--ctx-size", str(n_ctx * parallel), "--threads", str(threads),
                "--threads-batch", str(threads), "--flash-attn", "on" if flash_attn else "off",
                "--no-warmup"]
        if embeddings:
            argv += ["--embeddings", "--pooling", "mean"]
        return ServerPlan(tuple(argv + list(extra)), url, LLAMA_SERVER, parallel, api_key)
    if parallel > 1:
        raise ModelError(f"--parallel {parallel} needs llama-server (scripts/install.sh --llama-server): "
                         "the Python server of llama-cpp-python decodes one conversation at a time")
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", host, "--port", str(port),
            "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
            "--flash_attn", str(flash_attn).lower(),
            # Its default ends the reply being streamed, early and as if complete, whenever another
            # request arrives: with two askers one would get half an answer.
            "--interrupt_requests", "false"]
    if embeddings:
        argv += ["--embedding", "true"]
    return ServerPlan(tuple(argv + list(extra)), url, "python", 1, api_key)


def start_server(plan: ServerPlan, log: IO[bytes] | int | None = subprocess.DEVNULL) -> subprocess.Popen:
    """Start the server process in its own session (a Ctrl+C meant for the caller stays there)."""
    if plan.engine == "python":
        try:
            import llama_cpp.server.app  # noqa: F401 - only to check the extra is installed
        except ImportError as exc:
            raise ModelError(f"the Python server needs llama-cpp-python's server extra ({exc}): "
                             "pip install sse-starlette starlette-context pydantic-settings") from None
    try:
        return subprocess.Popen(plan.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=plan.server_env(), start_new_session=True, preexec_fn=_die_with_parent)
    except OSError as exc:
        raise ModelError(f"cannot start {plan.argv[0]}: {exc}") from None


def _die_with_parent() -> None:
    # In the child before exec: on Linux, a SIGTERM when the process that started it dies, even by
    # SIGKILL, so no model server is left behind holding the cores. Elsewhere nothing.
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_ready(plan: ServerPlan, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Poll ``GET {url}/models`` until the server answers, it exits, or ``timeout_s`` passes."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ModelError(f"the {plan.engine} server exited with code {process.returncode} before it "
                             f"answered on {plan.url}")
        try:
            if httpx.get(plan.url + "/models", headers=plan.headers(), timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet, or still loading the model
        time.sleep(0.25)
    raise ModelError(f"the {plan.engine} server did not answer on {plan.url} within {timeout_s:g} s")


def stop_server(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
