"""docs/settings.md's table is the one scripts/settings_table.py makes from rag/settings.py."""
from __future__ import annotations

import importlib.util
from dataclasses import fields
from pathlib import Path

from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_table_in_docs_is_the_generated_one():
    script = _script()
    documented = script.in_doc((ROOT / "docs" / "settings.md").read_text(encoding="utf-8"))
    assert documented == script.table(), "run: python scripts/settings_table.py --write"


def test_every_setting_has_a_doc_line():
    undocumented = [f.name for f in fields(Settings) if not f.metadata.get("doc")]
    assert undocumented == []
    rows = _script().table()
    for name in ("max_id_chars", "max_title_chars", "max_url_chars", "feed_max_entries", "feed_max_fetches"):
        assert f"| `{name}` |" in rows
