"""HTML for the chat's Stories view: the current stories, each opening to its timeline.

Each story shows its headline, its first and last days, how many outlets and articles carry it,
and its summary with citation numbers; opened (a ``<details>``, no script), its timeline lists
every article in date order with its day, outlet, linked title and lead sentence, numbered as
the summary cites them. Every title, outlet, sentence and URL is untrusted and goes through
ui.render_html's ``text`` and ``link``. Presentation only: choosing the stories is
rag.stories.story's, summarising rag.stories.summary's. Nothing here imports Gradio.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from index.stories import Story
from rag.stories.summary import EXTRACTIVE, Summariser, first_sentence
from ui.render_html import link, safe_url, text


def story_anchor(index: int, number: int) -> str:
    return f"nr-story-{int(index)}-{int(number)}"


def render_story(story: Story, index: int, urls: Mapping[str, str], summarise: Summariser = EXTRACTIVE) -> str:
    numbers = {a.doc_id: n for n, a in enumerate(story.articles, 1)}
    summary = " ".join(
        text(s.text) + " " + "".join(f'<a class="nr-cite" href="#{story_anchor(index, numbers[d])}">[{numbers[d]}]</a>'
                                     for d in s.doc_ids if d in numbers)
        for s in summarise(story))
    outlets, articles = len(story.outlets), len(story.articles)
    days = story.first_day if story.first_day == story.last_day else f"{story.first_day} to {story.last_day}"
    facts = (f"{text(days)} · {outlets} outlet{'s' if outlets != 1 else ''} · "
             f"{articles} article{'s' if articles != 1 else ''}")
    entries = []
    for n, a in enumerate(story.articles, 1):
        url = urls.get(a.doc_id)
        title = link(url, a.title) if safe_url(url) else text(a.title)
        entries.append(f'<li id="{story_anchor(index, n)}" class="nr-entry"><span class="nr-num">[{n}]</span> '
                       f'<span class="nr-day">{text(a.day)}</span> · <span class="nr-outlet">{text(a.outlet)}</span>: '
                       f'<span class="nr-title">{title}</span>'
                       f'<div class="nr-lead">{text(first_sentence(a.lead))}</div></li>')
    return (f'<details class="nr-story" id="nr-story-{int(index)}"><summary>'
            f'<span class="nr-headline">{text(story.headline)}</span>'
            f'<div class="nr-facts">{facts}</div>'
            f'<div class="nr-summary">{summary}</div></summary>'
            f'<ol class="nr-timeline">{"".join(entries)}</ol></details>')


def render_stories_html(stories: Sequence[Story], urls: Mapping[str, str], window: tuple[str, str] | None,
                        summarise: Summariser = EXTRACTIVE) -> str:
    """The stories, most important first; ``window`` (first day, last day) says which days they are of."""
    if not stories:
        return ('<p class="nr-empty">No stories yet: add articles or feeds, and each article joins a story '
                "as it is indexed.</p>")
    head = (f'<p class="nr-count">{len(stories)} stories of {text(window[0])} to {text(window[1])}, '
            "the most reported first; open one for its timeline.</p>") if window else ""
    return head + '<div class="nr-stories">' + "".join(
        render_story(s, i, urls, summarise) for i, s in enumerate(stories, 1)) + "</div>"
