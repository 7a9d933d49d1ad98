"""``newsrag serve-model``: run a local OpenAI-compatible server on the model setting's GGUF.

A Click command, listed in ``rag.cli.COMMANDS``. Uses llama.cpp's llama-server when it is built
(``scripts/install.sh --llama-server``), with ``--parallel`` slots decoded together; otherwise
llama-cpp-python's server, one conversation at a time, and says so. The api_key setting becomes
the server's key; a --host beyond this machine is refused without one (or --allow-public-host). Runs in the foreground with the
server's log on the terminal until Ctrl+C, and stops the server on the way out.
"""
from __future__ import annotations

import signal
import sys

import click

from rag.cli import Invocation, pass_invocation


@click.command("serve-model", help="serve the model over an OpenAI-compatible HTTP API "
                                   "(for several chat workers, or other tools)")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (0.0.0.0 exposes the model to your network)")
@click.option("--port", type=int, default=8080, show_default=True, help="port to listen on")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="conversations decoded at once (needs llama-server for more than 1)")
@click.option("--engine", type=click.Choice(["auto", "llama-server", "python"]), default="auto", show_default=True,
              help="auto: llama-server when built, else llama-cpp-python's server")
@click.option("--embeddings", is_flag=True,
              help="serve /v1/embeddings (mean pooling) for embed_url; llama-server then serves no chat")
@click.option("--allow-public-host", is_flag=True, default=None,
              help="serve a non-loopback --host without api_key; anyone who reaches it can use the model")
@pass_invocation
def serve_model(run: Invocation, host: str, port: int, parallel: int, engine: str, embeddings: bool,
                allow_public_host: bool | None) -> int:
    from rag.errors import ConfigError
    from rag.model_files import resolve_model
    from rag.remote.http import server_url
    from rag.serving import check_exposure, find_llama_server, plan_server, start_server, stop_server, wait_ready

    settings = run.settings()
    public = settings.allow_public_host if allow_public_host is None else allow_public_host
    check_exposure(host, api_key=settings.api_key, allow_public_host=public)
    if server_url(settings.model) is not None:
        raise ConfigError(f"setting model={settings.model!r} is already a server; serve-model needs a GGUF model")
    model = resolve_model(settings.model, settings.cache_dir)
    plan = plan_server(model, host=host, port=port, parallel=parallel, n_ctx=settings.n_ctx,
                       n_threads=settings.n_threads, flash_attn=settings.flash_attn, engine=engine,
                       embeddings=embeddings, api_key=settings.api_key)
    if plan.engine == "python" and engine == "auto" and find_llama_server() is None:
        print("newsrag: llama-server is not built (scripts/install.sh --llama-server); using llama-cpp-python's "
              "server, which answers one conversation at a time", file=sys.stderr)
    process = start_server(plan, log=None)
    # SIGTERM (a service manager stopping us) ends the server as Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        wait_ready(plan, process, timeout_s=600)
        key = " and the same NEWSRAG_API_KEY" if settings.api_key else ""
        print(f"newsrag: {model.name} served by {plan.engine} with {plan.parallel} slot(s) on {plan.url}; "
              f"answer through it with NEWSRAG_MODEL={plan.model_setting}{key} (Ctrl+C stops it)", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_server(process)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
