"""``newsrag chat``: open the browser chat on the data directory's corpus.

A Click command, listed in ``rag.cli.COMMANDS``. Flags override the settings (host, port,
passages, retriever); the login comes from the settings only, never from a flag, so it stays out
of shell history and process lists. Imports Gradio only when the command runs. The models load
(or the model server is checked) in a background thread as the chat starts, so the first question
does not wait for them.
"""
from __future__ import annotations

import logging
import threading

import click

from rag.cli import Invocation, pass_invocation, retrieval_options
from rag.settings import Settings


def chat_settings(settings: Settings, host: str | None = None, port: int | None = None,
                  allow_public_host: bool | None = None) -> Settings:
    """The settings with this command's flags applied."""
    changes = {name: value for name, value in (("host", host), ("port", port),
                                               ("allow_public_host", allow_public_host))
               if value is not None}
    return settings.replace(**changes) if changes else settings


@click.command("chat", help="open the chat in your browser (http://127.0.0.1:7860 by default)")
@click.option("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)")
@click.option("--port", type=int, help="port to listen on (default 7860)")
@click.option("--allow-public-host", is_flag=True, default=None,
              help="serve a non-loopback --host without a login (auth); anyone who reaches it "
                   "can upload and remove documents")
@retrieval_options
@pass_invocation
def chat(run: Invocation, host: str | None, port: int | None, allow_public_host: bool | None, top_k: int | None,
         retriever: str | None) -> int:
    from rag import cli
    from ui.app import create_app, launch_options

    settings = chat_settings(run.settings(top_k=top_k, retriever=retriever), host, port, allow_public_host)
    app = cli.open_app(settings)
    demo = create_app(app, settings)
    threading.Thread(target=_warm_up, args=(app,), name="newsrag-warm-up", daemon=True).start()
    where = f"http://{settings.host}:{settings.port}"
    print(f"newsrag: chat on {where} ({len(app.store.documents())} documents; Ctrl+C stops it)", flush=True)
    background = None
    if settings.feed_sync_in_chat:
        from rag.feeds.background import BackgroundSync

        background = BackgroundSync(app.syncer).start()
    try:
        demo.launch(**launch_options(settings))
    finally:
        if background is not None:
            background.stop(timeout=5)
    return 0


def _warm_up(app) -> None:
    from rag.errors import NewsragError

    try:
        app.warm_up()
    except NewsragError as exc:  # the first question shows it in the chat
        logging.getLogger(__name__).warning("newsrag: warming up the models failed: %s", exc)
