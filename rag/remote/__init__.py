"""Backends that reach models over HTTP: OpenAI-compatible chat-completions and embeddings servers.

One module per job: ``rag.remote.http`` (the HTTP client, URL checks, errors and the retry rule),
``rag.remote.generator`` (a ``Generator`` streaming from ``/chat/completions``) and
``rag.remote.embedder`` (an ``Embedder`` over ``/embeddings``). Starting a server is not here
(``rag.serving``).
"""
