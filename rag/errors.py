"""The project's own exceptions.

Library code raises these with the offending value in the message; only the CLI and the UI turn
them into user-facing text. Nothing here formats for a terminal or a browser.
"""
from __future__ import annotations

from pathlib import Path


class NewsragError(Exception):
    """Base class: every error newsrag raises on purpose."""


class ConfigError(NewsragError):
    """A setting has a value newsrag cannot use."""


class InputError(NewsragError):
    """A file (or one line of it) cannot be read as a document.

    The message names the file, the line when there is one, and the problem, in the
    compiler-style form ``path:line: problem`` so editors and terminals can jump to it.
    """

    def __init__(self, path: str | Path, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class ModelError(NewsragError):
    """A model file is missing, corrupt, or its runtime is not installed."""


class StoreError(NewsragError):
    """The document store cannot be opened, written or is inconsistent."""
