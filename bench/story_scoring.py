"""Score story output through ../shared/bench/score_stories.py, whole or one half of the weeks.

The whole set is scored by running the scorer as a subprocess, as anyone would; a half (the weeks
of one year, the stories dated in it) or a few weeks (`of_weeks`) by loading the scorer's own functions and letting them read
only that year's rows, so both use the same rules. The bench data are read at run time from where
they are, never copied. Used by bench/stories.py and bench/stories_tune.py.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path



def scorer(bench: Path) -> Path:
    """score_stories.py, next to the set (../shared/bench/stories-dev -> ../shared/bench)."""
    return Path(bench).resolve().parent / "score_stories.py"


def run(what: str, bench: Path, results: Path, *extra: str) -> dict:
    """The scorer's figures for the whole set (a subprocess)."""
    out = subprocess.run([sys.executable, str(scorer(bench)), what, str(bench), str(results), "--json", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def half(what: str, bench: Path, results: Path, year: str, max_words: int = 400) -> dict:
    """The scorer's figures over the stories and weeks of ``year`` only."""
    return _scored(what, bench, results, max_words, lambda r: str(r["date"]).startswith(year),
                   lambda r: str(r["week"]).startswith(year))


def of_weeks(bench: Path, results: Path, weeks: set[str], max_words: int = 400) -> dict:
    """The scorer's brief figures over the weeks named in ``weeks`` only."""
    return _scored("briefs", bench, results, max_words, lambda r: True, lambda r: str(r["week"]) in weeks)


def _scored(what: str, bench: Path, results: Path, max_words: int, story_kept, week_kept) -> dict:
    spec = importlib.util.spec_from_file_location("score_stories", scorer(bench))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plain = module.read_jsonl

    def read_kept(path):
        rows = plain(path)
        name = Path(path).name
        if name == "stories.jsonl":
            return [r for r in rows if story_kept(r)]
        if name == "weeks.jsonl":
            return [r for r in rows if week_kept(r)]
        return rows

    module.read_jsonl = read_kept
    if what == "clusters":
        return module.score_clusters(str(bench), str(results))
    return module.score_briefs(str(bench), str(results), max_words)
