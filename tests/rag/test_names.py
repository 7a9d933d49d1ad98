from rag.names import forms, names, occurs_in, tokens


def test_names_are_runs_of_capitalised_words_that_do_not_start_a_sentence():
    assert names("Who was elected mayor of Quillfield in March? Tencent said so.") == ["Quillfield", "March"]
    assert names("Which novel won the Zephyr Prize for debut fiction?") == ["Zephyr Prize"]
    assert names("Which firms are pooling chip R&D?") == []


def test_punctuation_and_possessives_end_a_name():
    assert names("On Saturday, Michigan beat Ohio State.") == ["Saturday", "Michigan", "Ohio State"]
    assert names("What did Brazil's Tanaru Indigenous Territory lose?") == ["Brazil", "Tanaru Indigenous Territory"]
    assert names("Why did the Americans’ and Huawei's plans differ?") == ["Americans", "Huawei"]


def test_a_demonym_has_its_country_and_the_country_its_demonym():
    assert {"U.S.", "United States", "America"} <= set(forms("American"))
    assert {"UK", "Britain", "United Kingdom"} <= set(forms("British"))
    assert "China" in forms("Chinese") and "Chinese" in forms("China")
    assert "Netherlands" in forms("Dutch")


def test_plural_and_organisation_short_forms():
    assert "American" in forms("Americans") and "UK" in forms("Britons")
    assert "Federal Reserve" in forms("Fed") and "Fed" in forms("Federal Reserve")
    assert "European Union" in forms("EU")
    assert forms("Quillfield") == ("Quillfield",)


def test_a_form_occurs_when_its_words_follow_one_another():
    pool = tokens("Exports to the U.S. fell, the Federal Reserve said.")
    assert occurs_in("U.S.", pool) and occurs_in("Federal Reserve", pool)
    assert not occurs_in("Reserve Federal", pool) and not occurs_in("", pool)
