"""SQL written once for both backends: `Statements`, the base of a frozen dataclass of statements
with ``{p}`` where a parameter goes, filled in with a driver's marker ("?" for sqlite3, "%s" for
psycopg) once, when a backend builds its copy. Values always travel as parameters; only the marker
is written into the text. Not here: the statements themselves (index.document_reads,
index.feed_tables, index.story_tables)."""
from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

S = TypeVar("S", bound="Statements")


class Statements:
    """Mixed into a frozen dataclass whose fields are SQL statements."""

    @classmethod
    def with_marker(cls: type[S], marker: str) -> S:
        """The statements with ``marker`` for each ``{p}``; other ``{...}`` slots are kept for later."""
        return cls(**{f.name: getattr(cls, f.name).replace("{p}", marker) for f in fields(cls)})
