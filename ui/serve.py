"""``newsrag serve``: the chat page and the API (OpenAI /v1, REST /api, MCP /mcp) on one port.

`create_server` mounts the Gradio chat (ui.app) at ``/`` of the API's FastAPI app (rag.api.app),
so one process and one port serve people and programs, and wraps all of it in the chat's Host
check (ui.hosts) against DNS rebinding. The page keeps its login (``auth``); the API its bearer
key (``serve_api_key``); a host beyond this machine needs both, unless ``allow_public_host``
(rag.api.app.check_exposure). The process holds no state of its own beyond the store and the
model, so with PostgreSQL and a model server several can stand behind a load balancer.
"""
from __future__ import annotations

import threading

import click

from rag.cli import Invocation, pass_invocation, retrieval_options
from rag.settings import Settings
from rag.wiring import Newsrag
from ui.cli import _warm_up, chat_settings


def create_server(app: Newsrag, settings: Settings):
    """The ASGI app of ``newsrag serve`` (serve it with uvicorn on settings.host and port)."""
    import gradio as gr

    from rag.api.app import check_exposure, create_api
    from ui.app import create_app, launch_options
    from ui.hosts import HostCheck, allowed_hosts

    check_exposure(settings)
    api = create_api(app, settings)
    options = launch_options(settings)
    demo = create_app(app, settings)
    gr.mount_gradio_app(api, demo, path="/", **options)
    api.add_middleware(HostCheck, allowed=allowed_hosts(settings.host))
    api.state.demo = demo  # the page's Blocks, for whoever drives its events (the tests)
    return api


@click.command("serve", help="serve the chat and the API (OpenAI /v1, REST /api, MCP /mcp) on one port "
                             "(http://127.0.0.1:8000 by default)")
@click.option("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)")
@click.option("--port", type=int, help="port to listen on (default 8000: the serve_port setting)")
@click.option("--allow-public-host", is_flag=True, default=None,
              help="serve a non-loopback --host without serve_api_key and auth; anyone who reaches it can ask, "
                   "upload and remove documents")
@retrieval_options
@pass_invocation
def serve(run: Invocation, host: str | None, port: int, allow_public_host: bool | None, top_k: int | None,
          retriever: str | None) -> int:
    import uvicorn

    from rag import cli
    from rag.api.app import check_exposure

    settings = run.settings(top_k=top_k, retriever=retriever)
    settings = chat_settings(settings, host, port or settings.serve_port, allow_public_host)
    check_exposure(settings)  # before the models load
    app = cli.open_app(settings)
    server = create_server(app, settings)
    threading.Thread(target=_warm_up, args=(app,), name="newsrag-warm-up", daemon=True).start()
    where = f"http://{settings.host}:{settings.port}"
    print(f"newsrag: chat on {where}/, OpenAI API on {where}/v1, REST on {where}/api (docs {where}/docs), "
          f"MCP on {where}/mcp ({len(app.store.documents())} documents; Ctrl+C stops it)", flush=True)
    background = None
    if settings.feed_sync_in_chat:
        from rag.feeds.background import BackgroundSync

        background = BackgroundSync(app.syncer).start()
    try:
        uvicorn.run(server, host=settings.host, port=settings.port, log_level="warning")
    finally:
        if background is not None:
            background.stop(timeout=5)
    return 0

