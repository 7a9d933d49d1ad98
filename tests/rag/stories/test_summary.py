"""Extractive summaries: the agreed facts of a story's articles, its most informative title, and
facts stated once across a brief."""
from __future__ import annotations

import numpy as np

from index.stories import StoryArticle
from rag.stories.story import make_story
from rag.stories.summary import agreed_facts, article_facts, informative_title, summarise


def art(doc_id, title, lead, outlet="cnn.com", day="2024-03-06", vector=(1.0, 0.0)):
    return StoryArticle(doc_id, "s1", day, outlet, title, lead, (), np.asarray(vector, np.float32))


def test_facts_are_the_names_and_numbers_of_title_and_lead_without_calendar_words_or_the_outlet():
    a = art("a", "Flooding closes Yellowstone", "(CNN) Floods on Monday forced 10,000 visitors out of "
            "Yellowstone National Park in Montana, costing $1.2 billion.", outlet="cnn.com")
    facts = set(article_facts(a))
    assert {"yellowstone national park", "montana", "10,000", "$1.2 billion"} <= facts
    assert "monday" not in facts and "cnn" not in facts


def test_agreed_facts_are_those_two_articles_state_most_stated_first():
    story = make_story("s1", [
        art("a", "Floods close Yellowstone", "Floods forced 10,000 visitors out of Yellowstone in Montana."),
        art("b", "Yellowstone shut by floods", "Rangers moved 10,000 visitors out of Yellowstone, Wyoming said."),
        art("c", "Park floods", "Rain hit Yellowstone in Montana again as 10,000 waited.", outlet="usatoday.com"),
    ])
    assert [(k, n) for k, _, n in agreed_facts(story)] == [("yellowstone", 3), ("10,000", 3), ("montana", 2)]
    alone = make_story("s2", [art("d", "Quake hits Turkey", "A quake struck Malatya in Turkey.")])
    assert {k for k, _, _ in agreed_facts(alone)} == {"turkey", "malatya"}  # one article: its own facts


def test_the_title_that_states_the_most_agreed_facts_is_chosen_and_the_headline_on_a_tie():
    articles = [art("a", "What we know so far", "Floods forced 10,000 visitors out of Yellowstone in Montana.",
                    vector=(1.0, 0.0)),
                art("b", "Yellowstone floods force out 10,000", "Floods hit Yellowstone in Montana: 10,000 left.",
                    vector=(0.9, 0.1)),
                art("c", "Floods", "More rain at Yellowstone in Montana where 10,000 were moved.", vector=(1.0, 0.05))]
    story = make_story("s1", articles)
    assert informative_title(story) == "Yellowstone floods force out 10,000"
    tie = make_story("s2", [art("d", "Rain again", "Rain fell.", vector=(1.0, 0.0)),
                            art("e", "Rain once more", "Rain fell.", vector=(0.0, 1.0))])
    assert informative_title(tie) == tie.headline


def test_a_summary_states_the_facts_the_title_lacks_and_none_the_brief_said_already():
    story = make_story("s1", [
        art("a", "Floods close Yellowstone - CNN", "Floods forced 10,000 visitors out of Yellowstone in Montana."),
        art("b", "Yellowstone shut by floods", "Rangers moved 10,000 visitors out of Yellowstone in Montana."),
    ])
    (line,) = summarise(story, 1)
    assert line.text.endswith("(Montana, 10,000).") and "CNN" not in line.text and line.doc_ids == ("a", "b")
    (again,) = summarise(story, 1, said="Snow in Montana.")
    assert again.text.endswith("(10,000).")
    (few,) = summarise(story, 1, facts=0)
    assert "(" not in few.text
