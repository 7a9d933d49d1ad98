"""Which questions the unknown-name check declines, without embeddings or a language model.

    .venv/bin/python bench/abstention.py --corpus CORPUS.jsonl QUESTIONS.jsonl [MORE.jsonl ...]

Chunks the corpus as the store does into an in-memory FTS5 table (porter tokenizer, as
index.sqlite.schema), retrieves each question's top passages with the store's keyword search
(index.sqlite.keywords), and asks rag.abstention.before_generation whether to decline. The dense half
of hybrid retrieval and so the weak-evidence check are left out: what is measured is the name
check alone, in seconds for rtqa-dev's 2,319 articles. Prints every declined question with the
reason shown to the user, then the count per file.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.sqlite import keywords  # noqa: E402
from index.records import Document, Passage  # noqa: E402
from rag.abstention import UNKNOWN_NAME, before_generation  # noqa: E402
from rag.question import analyse  # noqa: E402
from rag.chunking import Chunker  # noqa: E402
from rag.settings import load_settings  # noqa: E402


def keyword_index(corpus: Path, chunker: Chunker) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE chunks(id INTEGER PRIMARY KEY, doc_id TEXT, title TEXT, text TEXT, start INT, "end" INT)')
    conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', "
                 "tokenize='porter unicode61')")
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            doc = Document(row["id"], row.get("title") or "", row["text"])
            conn.executemany('INSERT INTO chunks(doc_id, title, text, start, "end") VALUES (?, ?, ?, ?, ?)',
                             [(doc.id, doc.title, c.text, c.start, c.end) for c in chunker.split(doc)])
    conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
    return conn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path, nargs="+")
    ap.add_argument("--corpus", type=Path, required=True)
    args = ap.parse_args()
    settings = load_settings({})
    conn = keyword_index(args.corpus, Chunker(settings.chunk_size, settings.chunk_overlap))
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    print(f"{args.corpus}: {chunks} chunks, top {settings.top_k} by BM25")

    def unknown_words(forms):
        return keywords.unknown_words(conn, forms)

    for path in args.questions:
        asked = declined = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            asked += 1
            passages = [
                Passage(chunk_id, *conn.execute('SELECT doc_id, title, text, start, "end" FROM chunks WHERE id = ?',
                                                (chunk_id,)).fetchone(), score=score)
                for chunk_id, score in keywords.search(conn, question["question"], settings.top_k)
            ]
            decline = before_generation(analyse(question["question"]), passages, unknown_words, settings.min_evidence)
            if decline is not None and decline.reason == UNKNOWN_NAME:
                declined += 1
                print(f"  {question['id']}: {decline.text}")
        print(f"{path}: {declined} of {asked} declined by the unknown-name check")


if __name__ == "__main__":
    main()
