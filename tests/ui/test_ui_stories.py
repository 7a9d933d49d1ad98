"""The chat's briefs, timelines, corroborated sources and Stories view (ui.handlers, ui.render_html,
ui.render_stories), over a real app with the fake models."""
from __future__ import annotations

from datetime import date, timedelta

from index.records import Document
from story_samples import NOT_COVERED, OUTLETS, news
from tests.ui.ui_samples import HOSTILE_TITLE, audit
from ui.handlers import respond, stories_html
from ui.render_html import render_answer_html


def test_the_not_covered_line_has_no_symbol_a_browser_without_emoji_fonts_draws_as_a_box(make_app) -> None:
    """Issue 25: U+24D8 before "The corpus does not cover this question." was an empty box in
    Debian's Chromium; the icon is a letter in a CSS circle now."""
    app = make_app(NOT_COVERED)
    answer = app.pipeline.ask("Who won the regatta?")
    html = render_answer_html(answer)
    assert answer.abstained and NOT_COVERED in html
    assert all(ord(ch) < 0x2000 for ch in html), [ch for ch in html if ord(ch) >= 0x2000]


def test_what_happened_this_week_in_the_chat_is_a_brief_with_its_sources(make_app) -> None:
    app = make_app(NOT_COVERED)
    app.ingestor.add_documents(news(date.today()))
    messages, turns, panel = list(respond(app, "What happened this week?", [], 5))[-1]
    shown = messages[-1]["content"]
    audit(shown)
    audit(panel)
    assert 'class="nr-answer nr-brief"' in shown and "Brief of" in shown and "reported by 3 outlets" in shown
    assert shown.count('class="nr-cite"') == 4 and NOT_COVERED not in shown
    for site, title in OUTLETS:
        assert title in panel
    assert "https://o1.example/ferry" in panel
    assert turns[-1].answer_text.startswith(("Cargo", "Ferry", "Port")) and "[1][2][3]" in turns[-1].answer_text


def test_how_did_it_develop_in_the_chat_is_a_timeline(make_app) -> None:
    app = make_app(NOT_COVERED)
    app.ingestor.add_documents(news(date.today()))
    messages, _, _ = list(respond(app, "How did the Port Alder ferry grounding develop?", [], 5))[-1]
    assert 'class="nr-answer nr-timeline"' in messages[-1]["content"]
    assert "Timeline, oldest first" in messages[-1]["content"]


def test_an_answers_sources_say_how_many_other_outlets_carry_their_story(make_app) -> None:
    app = make_app("A cargo ferry ran aground at Port Alder [1].", min_evidence=0.0)
    app.ingestor.add_documents(news(date.today()))
    _, _, panel = list(respond(app, "Where did the cargo ferry run aground on Tuesday?", [], 5))[-1]
    assert "also reported by 2 outlets" in panel


def test_the_stories_view_shows_each_story_with_its_dates_outlets_summary_and_timeline(make_app) -> None:
    app = make_app("unused")
    today = date.today()
    app.ingestor.add_documents(news(today))
    html = stories_html(app)
    audit(html)
    assert html.count('class="nr-story"') == 2
    ferry = html.split('class="nr-story"')[1]
    assert "3 outlets · 3 articles" in ferry
    assert f"{(today - timedelta(days=2)).isoformat()} to {today.isoformat()}" in ferry
    assert 'class="nr-summary"' in ferry and 'href="#nr-story-1-1"' in ferry
    for i, (site, _) in enumerate(OUTLETS):
        assert site in ferry and f'href="https://o{i}.example/ferry"' in ferry


def test_the_stories_view_escapes_titles_and_links_only_web_urls(make_app) -> None:
    app = make_app("unused")
    app.ingestor.add_documents([Document("h", HOSTILE_TITLE, "The Zanzibar ferry company bought hovercraft. " * 4,
                                         url="javascript:window.__pwned=1", published=date.today().isoformat(),
                                         site="<b>Evil</b> Times")])
    html = stories_html(app)
    audit(html)
    assert "&lt;script&gt;" in html and "&lt;b&gt;Evil&lt;/b&gt;" in html
    assert 'href="javascript' not in html


def test_an_older_corpus_shows_the_week_of_its_newest_story(make_app) -> None:
    app = make_app("unused")
    app.ingestor.add_documents(news(date(2024, 3, 12)))
    html = stories_html(app)
    assert "stories of 2024-03-06 to 2024-03-12" in html and html.count('class="nr-story"') == 2
    assert "No stories yet" in stories_html(make_app("unused", data_dir=app.settings.data_dir / "empty"))
