from rag.text import content_words, overlap, sentence_spans, stem


def test_sentences_keep_abbreviations_and_offsets():
    text = 'Lt. Nyota Uhura was played by Nichelle Nichols. The U.S. Army said "yes." Gov. Ron DeSantis spoke!\nNext line'
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Lt. Nyota Uhura was played by Nichelle Nichols.",
        'The U.S. Army said "yes."',
        "Gov. Ron DeSantis spoke!",
        "Next line",
    ]


def test_content_words_drop_stop_words_and_fold_suffixes():
    assert content_words("Which firms are pooling chip R&D?") == ["firm", "pool", "chip"]
    assert stem("offering") == stem("offers") == stem("offered") == "offer"
    assert overlap(content_words("Beijing offers"), "Beijing is offering incentives") == 1.0
    assert overlap([], "anything") == 0.0
