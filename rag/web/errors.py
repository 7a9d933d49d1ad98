"""The one exception of rag.web: a URL that could not be fetched or was refused.

Kept apart so the fetcher and its rules (rag.web.address, rag.web.robots) raise the same class
without importing each other; ``rag.web.fetch`` re-exports it for its callers.
"""
from __future__ import annotations

from rag.errors import InputError


class FetchError(InputError):
    """A URL could not be fetched or was refused; the message is ``url: problem``.

    ``status`` is the HTTP status when a server answered with an error, None when there was no
    usable answer (refused address, network error, timeout, redirect loop).
    """

    def __init__(self, url: str, problem: str, status: int | None = None) -> None:
        super().__init__(url, problem)
        self.url = url
        self.status = status
