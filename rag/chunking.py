"""Split a document into overlapping chunks that remember where they sit in its text.

Splitting is langchain-text-splitters' recursive splitter, tuned for prose: paragraphs first,
then lines, then sentence ends, so chunks rarely cut a sentence. Each chunk carries its character
offsets in the document, which is what lets a citation point at the exact span. Not here:
embedding, or sentence selection for prompts (rag.evidence).
"""
from __future__ import annotations

from index.records import Chunk, Document

# Sentence ends before clause breaks before words: a chunk boundary inside a sentence is the
# last resort, because a cut sentence is a weak citation.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


class Chunker:
    """Chunks by characters; ``size`` and ``overlap`` come from the settings."""

    def __init__(self, size: int, overlap: int) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.size = size
        self.overlap = overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=size,
            chunk_overlap=overlap,
            separators=SEPARATORS,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, document: Document) -> list[Chunk]:
        text = document.text
        chunks: list[Chunk] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            # The splitter returns substrings in order; find each from just past the previous
            # chunk's start (overlap means it may begin before the previous end).
            start = text.find(piece, cursor)
            if start < 0:  # whitespace folding made it unfindable: fall back to a full scan
                start = text.find(piece)
            if start < 0:
                continue
            end = start + len(piece)
            chunks.append(Chunk(document.id, len(chunks), start, end, piece))
            cursor = start + 1
        return chunks
