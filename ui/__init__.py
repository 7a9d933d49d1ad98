"""The browser chat for newsrag: a Gradio app over the engine in ``rag``.

``ui.app.create_app`` builds the page; ``ui.render_html`` turns answers, sources and reports into
escaped HTML; ``rag.uploads`` checks and stores uploaded files (shared with the API); ``ui.handlers`` holds the event
handlers as plain functions; ``ui.cli`` adds ``newsrag chat``. Importing this package imports
nothing heavy: Gradio loads only inside ``ui.app``.
"""
