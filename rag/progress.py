"""The progress bar of an ingest: documents read, with the chunks embedded so far beside them.

A tqdm bar on stderr, drawn only once the first update comes (an add with nothing to do draws
nothing) and only on a terminal (tqdm's ``disable=None``), closed when the ``with`` block ends.
Used by ``newsrag add`` and the first-run corpus indexing (rag.cli) and by eval's corpus
indexing (rag.eval.benchmark). Not here: the eval's own per-question bar (rag.eval.runner).
"""
from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, Iterator

ProgressFn = Callable[[int, int], None]  # (documents seen, chunks embedded), as rag.ingest reports them


@contextlib.contextmanager
def ingest_progress(label: str, *, enabled: bool = True) -> Iterator[ProgressFn]:
    """A progress callback for `Ingestor.add`, drawing a bar labelled ``label``."""
    bar: Any = None

    def update(documents: int, chunks: int) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(desc=label, unit=" docs", file=sys.stderr, disable=None if enabled else True, leave=False)
        bar.update(documents - bar.n)
        bar.set_postfix(chunks=chunks, refresh=False)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
