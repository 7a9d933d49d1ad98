"""The base of newsrag's own exceptions, and the store's.

Below both ``rag/`` and ``index/`` so that the store can raise them without importing the
pipeline; ``rag.errors`` adds the errors of configuration, input files and models. Library code
raises these with the offending value in the message; only the CLI and the UI turn them into
user-facing text.
"""
from __future__ import annotations


class NewsragError(Exception):
    """Base class: every error newsrag raises on purpose."""


class StoreError(NewsragError):
    """The document store cannot be opened, written or is inconsistent."""
