from rag.text import content_words, names, overlap, restates, sentence_spans, stem


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


def test_names_are_capitalised_words_that_do_not_start_a_sentence():
    assert names("Who was elected mayor of Quillfield in March? Tencent said so.") == ["Quillfield", "March"]
    assert names("Which firms are pooling chip R&D?") == []


def test_an_answer_that_only_restates_a_wh_question():
    assert restates("The state that announced it is legalizing jaywalking is.",
                    "Which state announced it is legalizing jaywalking?")
    assert restates("Japan", "Which country is banning all seafood from Japan?")
    assert not restates("California is legalizing jaywalking.", "Which state announced it is legalizing jaywalking?")
    assert not restates("218 seats.", "How many seats were needed?")


def test_yes_no_questions_and_empty_answers_are_not_restatements():
    assert not restates("Yes, Biden vetoed the bill.", "Did Biden veto the bill?")
    assert not restates("Biden vetoed the bill.", "Did Biden veto the bill?")
    assert not restates("", "Which state?")
    assert not restates("Tencent", "Tencent?")  # not a wh-question
