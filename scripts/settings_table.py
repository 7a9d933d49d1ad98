"""Print the settings table of docs/settings.md, made from the one definition in rag/settings.py.

    .venv/bin/python scripts/settings_table.py           # print the table
    .venv/bin/python scripts/settings_table.py --write   # put it into docs/settings.md

Each row is one field of `Settings`: its name, its default (or the ``shown`` text of a default
found at start-up, such as the data directory) and its ``doc``. The table sits in docs/settings.md
between the two marker comments below; tests/test_settings_table.py fails when they differ, so a
setting added, removed or changed in rag/settings.py without running ``--write`` is caught.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import MISSING, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "settings.md"
BEGIN = "<!-- settings table: made by scripts/settings_table.py from rag/settings.py; do not edit -->"
END = "<!-- end of settings table -->"


def shown(value: object) -> str:
    """A default as a reader writes it in a config file."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}" if value >= 10_000 else str(value)
    if isinstance(value, float):
        return repr(value)
    if value == "":
        return "empty"
    return f"`{value}`"


def table() -> str:
    from rag.settings import Settings

    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Settings):
        default = f.metadata.get("shown") or shown(f.default if f.default is not MISSING else f.default_factory())
        rows.append(f"| `{f.name}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows) + "\n"


def in_doc(text: str) -> str:
    """The table between the markers of docs/settings.md's ``text``."""
    try:
        return text.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
    except IndexError:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing") from None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"replace the table in {DOC.relative_to(ROOT)}")
    args = ap.parse_args()
    if not args.write:
        print(table(), end="")
        return
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text.replace(BEGIN + "\n" + in_doc(text), BEGIN + "\n" + table(), 1), encoding="utf-8")


if __name__ == "__main__":
    main()
