"""newsrag for other programs: an OpenAI-compatible endpoint, a REST API and an MCP server.

``rag.api.service`` does the work behind all three (one `Service` over a `Newsrag`, with its
bounds); ``rag.api.openai``, ``rag.api.rest`` and ``rag.api.mcp`` speak the three wire formats;
``rag.api.app`` assembles them into a FastAPI app with the key check, body limits and JSON errors;
``rag.api.cli`` adds ``newsrag mcp`` (stdio). ``newsrag serve`` (ui.serve) adds the chat page.
Nothing here imports Gradio, and importing this package imports nothing heavy.
"""
