"""``newsrag chat``: open the browser chat on the data directory's corpus.

Registered through ``rag.cli.EXTRA_COMMANDS``. Flags override the settings (host, port, passages,
retriever); the login comes from the settings only, never from a flag, so it stays out of shell
history and process lists. Imports Gradio only when the command runs.
"""
from __future__ import annotations

import argparse

from rag.settings import Settings


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from rag.cli import add_retrieval_options

    chat = subparsers.add_parser("chat", help="open the chat in your browser (http://127.0.0.1:7860 by default)")
    chat.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)")
    chat.add_argument("--port", type=int, help="port to listen on (default 7860)")
    add_retrieval_options(chat)
    chat.set_defaults(handler=cmd_chat)


def chat_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with this command's flags applied."""
    changes = {name: value for name, value in (("host", args.host), ("port", args.port)) if value is not None}
    return settings.replace(**changes) if changes else settings


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from rag.cli import open_app
    from ui.app import create_app, launch_options

    settings = chat_settings(args, settings)
    app = open_app(settings)
    demo = create_app(app, settings)
    where = f"http://{settings.host}:{settings.port}"
    print(f"newsrag: chat on {where} ({len(app.store.documents())} documents; Ctrl+C stops it)", flush=True)
    demo.launch(**launch_options(settings))
    return 0
