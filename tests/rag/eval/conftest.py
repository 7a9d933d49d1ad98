"""Fixtures for the eval tests: corpus and question files in tmp_path, and an app wired with fakes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from fakes import HashEmbedder, ScriptedGenerator
from rag.settings import Settings, load_settings

ARTICLES = [
    {"id": "lynx", "title": "Iberian lynx off the endangered list", "published": "2024-06-20",
     "text": "The Iberian lynx is no longer endangered, the IUCN said on Thursday. "
             "Its population in Spain and Portugal grew to 2,000 animals after decades of breeding. "
             "Conservationists in Andalusia credited the rabbit recovery programme."},
    {"id": "volcano", "title": "Volcano erupts on Iceland's Reykjanes peninsula", "published": "2024-03-17",
     "text": "A volcano erupted near Grindavik in Iceland on Saturday evening. "
             "The town of Grindavik was evacuated again as lava flowed towards the Blue Lagoon. "
             "Scientists said the fissure was about three kilometres long."},
    {"id": "chess", "title": "Gukesh becomes youngest world chess champion", "published": "2024-12-12",
     "text": "Gukesh Dommaraju of India won the world chess championship in Singapore. "
             "At eighteen he is the youngest undisputed champion, beating Ding Liren of China. "
             "The final game ended after Ding blundered a rook endgame."},
    {"id": "rail", "title": "Night train returns between Paris and Berlin", "published": "2023-12-11",
     "text": "A night train between Paris and Berlin began service on Monday. "
             "The operator said sleeper cars would run three times a week. "
             "Tickets start at 70 euros for a seat and more for a couchette."},
    {"id": "whale", "title": "Rare whale spotted off Cornwall", "published": "2024-02-02",
     "text": "A humpback whale was seen off the coast of Cornwall by fishermen. "
             "Marine biologists said such sightings have become more common in winter. "
             "The whale stayed near Falmouth bay for two days."},
    {"id": "bridge", "title": "New bridge opens in Copenhagen", "published": "2024-05-05",
     "text": "A cycling bridge opened across Copenhagen harbour on Sunday. "
             "The bridge links Nordhavn with Refshaleoen and carries 8,000 cyclists a day. "
             "The city said it cost 300 million kroner."},
]

QUESTIONS = [
    {"id": "q1", "question": "Which animal is no longer endangered according to the IUCN?",
     "answer": "Iberian lynx", "distractors": ["Snow leopard", "Giant panda", "Red wolf"],
     "answer_doc_ids": ["lynx"], "asked_on": "2024-06-21"},
    {"id": "q2", "question": "Which town in Iceland was evacuated as lava flowed from the volcano?",
     "answer": "Grindavik", "distractors": ["Reykjavik", "Akureyri", "Vik"],
     "answer_doc_ids": ["volcano"], "asked_on": "2024-03-18"},
    {"id": "q3", "question": "Who won the world chess championship in Singapore?",
     "answer": ["Gukesh", "Gukesh Dommaraju"], "distractors": ["Ding Liren", "Magnus Carlsen"],
     "answer_doc_ids": ["chess"]},
    {"id": "q4", "question": "How often will the Paris Berlin night train run?",
     "answer": "three times a week", "answer_doc_ids": ["rail"]},
    {"id": "q5", "question": "What did fishermen see off the coast of Cornwall?"},
]

# Replies in question order: right, right, wrong (names a distractor), right, no gold.
REPLIES = [
    "The Iberian lynx is no longer endangered [1].",
    "Grindavik was evacuated [1].",
    "Ding Liren won the championship [1].",
    "The night train runs three times a week [1].",
    "Fishermen saw a humpback whale off Cornwall [1].",
]


def write_jsonl(path: Path, rows: Iterable[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path



@pytest.fixture
def eval_settings(tmp_path: Path) -> Settings:
    # min_evidence 0: the hash embedder's similarities are not calibrated like a real model's.
    return load_settings({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                         index_corpus_on_first_run=False, min_evidence=0.0, top_k=3)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "corpus.jsonl", ARTICLES)


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)


@pytest.fixture
def fake_build() -> Callable[..., Callable[[Settings], Any]]:
    """A `build` replacement with fake models; records each generator it made."""
    from rag.wiring import build

    def factory(*replies: str, made: list | None = None) -> Callable[[Settings], Any]:
        def make(settings: Settings) -> Any:
            generator = ScriptedGenerator(*(replies or REPLIES))
            if made is not None:
                made.append(generator)
            return build(settings, embedder=HashEmbedder(), generator=generator)

        return make

    return factory


@pytest.fixture(name="write_jsonl")
def write_jsonl_fixture() -> Callable[[Path, Iterable[Any]], Path]:
    return write_jsonl

