"""Split a document into overlapping chunks that remember where they sit in its text.

Splitting is langchain-text-splitters' recursive splitter, tuned for prose: paragraphs first,
then lines, then sentence ends, so chunks rarely cut a sentence. Each chunk carries its character
offsets in the document, which is what lets a citation point at the exact span. Not here:
embedding, or sentence selection for prompts (rag.evidence).
"""
from __future__ import annotations

from index.records import Chunk, Document
from rag.headings import keep_with_text

# Part of the eval index's key (rag.eval.benchmark): bump it whenever the same text and settings
# would give other chunks, so a benchmark never reuses an index chunked the old way.
VERSION = 3  # 2: offsets from the splitter (add_start_index) instead of re-finding each piece
#              3: a chunk does not end on a heading line (rag.headings)

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
            add_start_index=True,
        )

    def split(self, document: Document) -> list[Chunk]:
        text = document.text
        # The splitter's own start offsets (add_start_index): it searches each piece from where
        # the previous one's overlap begins, so a short piece repeated earlier in the text (a
        # byline, "Advertisement") gets its own place, not the earlier one.
        pieces = self._splitter.create_documents([text])
        spans = [(p.metadata["start_index"], p.metadata["start_index"] + len(p.page_content)) for p in pieces]
        # (-1 would mean the splitter lost its place; it has not on 45k rtqa chunks, but a chunk
        # must be exactly its span of the text, so such a piece is left out rather than misplaced.)
        spans = [(start, end) for start, end in spans if start >= 0]
        return [Chunk(document.id, seq, start, end, text[start:end])
                for seq, (start, end) in enumerate(keep_with_text(text, spans))]
