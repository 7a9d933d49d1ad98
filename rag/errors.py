"""The pipeline's exceptions: bad settings, unreadable input files, unusable models.

They derive from ``index.errors.NewsragError`` (the base, with the store's own ``StoreError``),
so a caller catches every error newsrag raises on purpose with that one class. Library code
raises these with the offending value in the message; only the CLI and the UI turn them into
user-facing text. Nothing here formats for a terminal or a browser.
"""
from __future__ import annotations

from pathlib import Path

from index.errors import NewsragError


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


class QuestionError(NewsragError):
    """A question newsrag will not take: empty, or over the ``max_question_chars`` limit."""


class ModelError(NewsragError):
    """A model file is missing, corrupt, or its runtime is not installed."""
