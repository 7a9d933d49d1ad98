"""The docs name only what exists: README.md and docs/*.md, their links and the paths they cite.

Two checks per Markdown file:
- every relative link target `[text](path)` (images too) exists, resolved from the file's folder;
  a `#anchor` must match a heading of the target file (GitHub's rule for heading anchors);
- every repository path written in backticks (`rag/pipeline.py`, `bench/ingest.py --limit 30`,
  `index/postgres/`) exists: the first word of the backticked text, when it starts with one of the
  repository's top-level folders and has a file extension or ends with "/".
Fenced code blocks are skipped: commands there may name files the reader is about to create.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH_PREFIXES = ("rag/", "index/", "ui/", "tests/", "bench/", "scripts/", "docs/", "corpus/", ".ci/")

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def prose(path: Path) -> str:
    """The file's text without its fenced code blocks."""
    return _FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation out, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(prose(path)):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def link_problems(doc: Path) -> list[str]:
    problems = []
    for target in _LINK.findall(prose(doc)):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists():
            problems.append(f"link to a missing file: ({target})")
        elif anchor and linked.suffix == ".md" and anchor.lower() not in anchors(linked):
            problems.append(f"link to a missing heading: ({target})")
    return problems


def repository_paths(doc: Path) -> list[str]:
    paths = []
    for code in _CODE.findall(prose(doc)):
        words = code.split()
        if not words:
            continue
        word = words[0].split("#")[0].rstrip(".,;:")
        if word.startswith(PATH_PREFIXES) and (word.endswith("/") or "." in word.rsplit("/", 1)[-1]):
            paths.append(word)
    return paths


def path_problems(doc: Path) -> list[str]:
    return [f"`{p}` does not exist in the repository" for p in repository_paths(doc)
            if not (ROOT / p).exists()]


def _ids(docs: list[Path]) -> list[str]:
    return [str(d.relative_to(ROOT)) for d in docs]


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_relative_links_resolve(doc: Path) -> None:
    problems = link_problems(doc)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_backticked_repository_paths_exist(doc: Path) -> None:
    problems = path_problems(doc)
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_should(tmp_path: Path) -> None:
    """The checkers themselves: a stale path, a missing file, a missing heading; code blocks skipped."""
    doc = tmp_path / "page.md"
    doc.write_text(
        "# A page\n\n## Model servers, and `scaling`\n\n"
        "See `rag/no_such_module.py`, `bench/ingest.py --limit 30` and `rag/`.\n"
        "[ok](#model-servers-and-scaling) [gone](#nowhere) [file](missing.md) [web](https://example.org)\n\n"
        "```bash\nls `rag/also_missing.py` [x](missing-too.md)\n```\n",
        encoding="utf-8")
    assert repository_paths(doc) == ["rag/no_such_module.py", "bench/ingest.py", "rag/"]
    assert path_problems(doc) == ["`rag/no_such_module.py` does not exist in the repository"]
    assert link_problems(doc) == ["link to a missing heading: (#nowhere)",
                                  "link to a missing file: (missing.md)"]
