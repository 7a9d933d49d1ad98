"""Deterministic stand-ins for the models, for unit tests only.

`HashEmbedder` maps text to a vector seeded from the SHA-256 of its words, so that texts sharing
words are similar and the same text always gives the same vector. `ScriptedGenerator` replays
canned replies and records the messages it was given.
"""
from __future__ import annotations

import hashlib
import re
import threading
from typing import Callable, Iterator, Sequence

import numpy as np


class HashEmbedder:
    name = "hash-embedder"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or [""]:
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
                out[row] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            norm = np.linalg.norm(out[row])
            out[row] /= norm if norm else 1.0
        return out

    def check_against(self, sample: Callable[[], tuple[str, np.ndarray] | None]) -> None:
        """Nothing to check, like any model run in process."""


class ScriptedGenerator:
    """Replies with the given strings in turn (the last one repeats), word by word; knows no
    control tokens; ``load`` only counts its calls."""

    name = "scripted"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies) or ["I have nothing to say."]
        self.seen: list[list[dict[str, str]]] = []
        self.loads = 0
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"{self.name} ({len(self.replies)} canned replies)"

    def load(self) -> None:
        self.loads += 1

    def special_tokens(self) -> frozenset[str]:
        return frozenset()

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self._lock:
            self.seen.append(messages)
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        for piece in re.findall(r"\S+\s*", reply):
            yield piece
