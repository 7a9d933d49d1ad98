"""Which questions get a brief or a timeline (rag.stories.intent): by form and time expression."""
from __future__ import annotations

from datetime import date

import pytest

from rag.stories.intent import story_question
from rag.timeexpr import resolve_window

TODAY = date(2026, 12, 5)  # a Saturday


def asked(question: str):
    return story_question(question, resolve_window(question, TODAY), TODAY)


@pytest.mark.parametrize("question", ["What happened this week?", "what happened?", "Any news today?",
                                      "What's new?", "Brief me", "What are the top stories this week?"])
def test_questions_about_the_news_as_a_whole_get_a_brief_without_a_topic(question):
    found = asked(question)
    assert found is not None and found.kind == "brief" and found.topic is None


@pytest.mark.parametrize("question, topic", [
    ("What's new on Huawei's chips?", "Huawei's chips"),
    ("What's the latest on the strike?", "the strike"),
    ("Brief me on the harbour vote since Monday", "the harbour vote"),
    ("What happened in Iceland this week?", "Iceland"),
    ("What is new with Tesla?", "Tesla"),
])
def test_a_brief_on_a_topic_keeps_the_topic_without_its_time_expression(question, topic):
    found = asked(question)
    assert found is not None and (found.kind, found.topic) == ("brief", topic)


def test_the_brief_covers_the_window_the_question_names_else_the_last_week():
    assert asked("What happened this week?").window == ("2026-11-29", "2026-12-06")  # to today, not after
    assert asked("What happened today?").window == ("2026-12-05", "2026-12-06")
    assert asked("What happened last month?").window == ("2026-11-01", "2026-12-06")
    assert asked("What's new on the strike?").window == ("2026-11-29", "2026-12-06")
    assert asked("Brief me on the strike since Monday").window == ("2026-11-30", "2026-12-06")
    assert asked("Brief me since yesterday").window == ("2026-12-04", "2026-12-06")


@pytest.mark.parametrize("question, topic", [
    ("How did the alliance story develop?", "the alliance story"),
    ("How has the Port Alder grounding unfolded?", "the Port Alder grounding"),
    ("Timeline of the Huawei chips", "the Huawei chips"),
    ("Give me a timeline of the strike", "the strike"),
    ("ferry strike timeline", "ferry strike"),
])
def test_how_did_x_develop_and_timeline_of_x_get_a_timeline(question, topic):
    found = asked(question)
    assert found is not None and (found.kind, found.topic, found.window) == ("timeline", topic, None)


@pytest.mark.parametrize("question", ["What happened to the ferry on Tuesday?", "Who won the election?",
                                      "What did Beijing offer startups?", "How many crew were rescued this week?",
                                      "Which firms are pooling chip R&D?"])
def test_questions_about_one_fact_stay_ordinary_questions(question):
    assert asked(question) is None
