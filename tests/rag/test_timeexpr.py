"""Time expressions resolved against an as-of date."""
from datetime import date

import pytest

from rag.timeexpr import LAG_DAYS, resolve_window

AS_OF = date(2024, 5, 1)  # a Wednesday


@pytest.mark.parametrize("question, start, last", [
    ("What did the Fed decide this week?", "2024-04-25", "2024-05-01"),
    ("news from yesterday about Gaza", "2024-04-30", "2024-05-01"),
    ("What happened today in Paris?", "2024-05-01", "2024-05-01"),
    ("Which company announced layoffs in March 2024?", "2024-03-01", "2024-03-31"),
    ("Who won the election in March?", "2024-03-01", "2024-03-31"),
    ("What did the council approve last month?", "2024-04-01", "2024-05-01"),
    ("What happened last week on the border?", "2024-04-18", "2024-05-01"),
    ("Which film led the box office this year?", "2024-01-01", "2024-05-01"),
    ("Who resigned on Monday?", "2024-04-29", "2024-05-01"),
    ("What did the court rule on April 12?", "2024-04-12", "2024-04-12"),
    ("Which storms hit in the past 3 days?", "2024-04-29", "2024-05-01"),
    ("Who won the final in 2023?", "2023-01-01", "2023-12-31"),
])
def test_expressions_resolve_to_windows(question, start, last) -> None:
    window = resolve_window(question, AS_OF)
    assert window is not None, question
    assert window.start.isoformat() == start
    assert (window.end - window.start).days - LAG_DAYS == (date.fromisoformat(last) - window.start).days + 1


@pytest.mark.parametrize("question", [
    "What did the January 6, 2021 committee find?",  # names the subject, not the reporting time
    "Who will host the 2026 World Cup?", "What is planned in 2030?", "Which plan was announced in June 2025?", "Which airline cuts flights during November?",
    "How many people attended, a 20% rise?", "Who may run for office?", "What did the mayor say about $3 fares?",
    "Who won the war in 1945?",
])
def test_no_window_for_subjects_futures_and_non_dates(question) -> None:
    assert resolve_window(question, AS_OF) is None


def test_the_first_expression_wins() -> None:
    assert resolve_window("Who was sentenced this week for the 2023 fraud in 2023?", AS_OF).phrase == "this week"
