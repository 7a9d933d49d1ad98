"""``newsrag mcp``: newsrag's MCP tools over stdio, for assistants and IDEs that start a server.

Standard output is the protocol's channel, so nothing else may be printed there: indexing the
shipped corpus on a first run reports nothing, and the logs go to standard error.
"""
from __future__ import annotations

import click

from rag.cli import Invocation, pass_invocation


@click.command("mcp", help="serve newsrag's MCP tools over stdio (for assistants and IDEs)")
@pass_invocation
def mcp_command(run: Invocation) -> int:
    from rag.api.mcp import mcp_server
    from rag.api.service import Service
    from rag.wiring import build

    app = build(run.settings())
    app.index_shipped_corpus()
    mcp_server(Service(app)).run("stdio")
    return 0
