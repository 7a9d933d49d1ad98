from index.records import Document
from rag.chunking import Chunker


def test_chunks_carry_exact_offsets_and_overlap():
    sentences = [f"Sentence number {i} talks about topic {i % 7} in some detail." for i in range(120)]
    text = " ".join(sentences[:60]) + "\n\n" + " ".join(sentences[60:])
    doc = Document("d", "t", text)
    chunks = Chunker(300, 60).split(doc)
    assert len(chunks) > 10
    for i, c in enumerate(chunks):
        assert c.seq == i and c.doc_id == "d"
        assert text[c.start : c.end] == c.text
        assert len(c.text) <= 300
    # consecutive chunks overlap or touch: no text between them is lost
    for a, b in zip(chunks, chunks[1:]):
        assert b.start <= a.end + 2
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())


def test_chunks_prefer_sentence_boundaries():
    text = " ".join(f"This is sentence {i} of the article." for i in range(50))
    for c in Chunker(200, 0).split(Document("d", "t", text)):
        assert c.text.endswith(".")


def test_short_document_is_one_chunk():
    chunks = Chunker(800, 100).split(Document("d", "t", "Just a line."))
    assert [(c.start, c.end, c.text) for c in chunks] == [(0, 12, "Just a line.")]
