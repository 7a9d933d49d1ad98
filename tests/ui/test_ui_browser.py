"""End to end in Debian's headless Chromium (Playwright) against the app served on 127.0.0.1.

Each test starts the Gradio app in a background thread on a free local port, on a temporary data
directory; the page may not reach any other host (such requests are aborted and fail the test).
The example question runs the real embedder and the default model; uploads and the injection
test use the fake models, since what they check is the page, not the answers.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from fakes import HashEmbedder, ScriptedGenerator
from playwright.sync_api import expect, sync_playwright

from rag.settings import Settings, load_settings
from rag.wiring import build
from tests.ui.served import serve, serve_all
from tests.ui.ui_samples import HOSTILE_REPLY, HOSTILE_TEXT, HOSTILE_TITLE, write_article
from ui.app import EXAMPLES

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ANSWERED = "#nr-chat .nr-answer .nr-meta, #nr-chat .nr-abstained, #nr-chat .nr-error"
LOCAL = ("http://127.0.0.1:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """Open a page on the app, with off-host requests refused and recorded, and JS errors kept."""
    contexts = []
    refused: list[str] = []
    js_errors: list[str] = []

    def open_(url: str):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)

        def only_local(route) -> None:
            if route.request.url.startswith(LOCAL):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page = context.new_page()
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        page.goto(url)
        page.wait_for_selector("#nr-question textarea")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert refused == [], "the page tried to reach another host"
    assert js_errors == []


def fake_settings(tmp_path: Path, **changes) -> Settings:
    return load_settings({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                         index_corpus_on_first_run=False, **changes)


def ask(page, question: str, timeout_s: float = 60) -> None:
    page.fill("#nr-question textarea", question)
    page.press("#nr-question textarea", "Enter")
    page.wait_for_selector(ANSWERED, timeout=timeout_s * 1000)


def follow_first_citation(page):
    """Click the newest answer's first citation; return the sources-panel entry it points at."""
    cite = page.locator("#nr-chat a.nr-cite").last
    href = cite.get_attribute("href")
    assert href and href.startswith("#nr-src-")
    entry = page.locator(f"#nr-sources li.nr-source{href}")
    assert entry.count() == 1, f"citation {href} points at nothing"
    cite.click()
    page.locator(f"#nr-sources li.nr-source.nr-active{href}").wait_for()  # marked as the one followed
    expect(entry).to_be_in_viewport()
    expect(entry.locator("mark")).to_be_visible()
    return entry


def upload(page, path: Path, expect: str) -> None:
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#nr-upload input[type=file]", str(path))
    page.locator("#nr-report .nr-report").filter(has_text=expect).wait_for(timeout=60_000)
    page.get_by_role("tab", name="Chat").click()


@pytest.mark.slow
def test_example_question_with_real_models_cites_its_passage(open_page, model_cache_dir: Path,
                                                              tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path / "data", cache_dir=model_cache_dir, model="qwen2.5-1.5b")
    app = build(settings)
    assert app.index_shipped_corpus().added == ["china-ai-alliances"]
    with serve(app, settings) as url:
        page = open_page(url)
        started = time.monotonic()
        page.get_by_text(EXAMPLES[0]).first.click()
        page.wait_for_selector("#nr-chat .nr-streaming", timeout=300_000)  # tokens show as they come
        streaming_after = time.monotonic() - started
        page.wait_for_selector(ANSWERED, timeout=300_000)
        answered_after = time.monotonic() - started
        answer = page.locator("#nr-chat .nr-answer").last.inner_text()
        assert any(firm in answer for firm in ("Huawei", "Alibaba", "Baidu", "Tencent")), answer
        entry = follow_first_citation(page)
        assert "China's tech giants form AI alliances" in entry.locator(".nr-title").inner_text()
        assert "Huawei" in entry.locator("mark").inner_text()
        link = entry.locator(".nr-facts a")
        assert link.get_attribute("href") == "https://www.marketingprofs.com"
        print(f"\nreal models: first tokens after {streaming_after:.1f}s, answer after {answered_after:.1f}s")


def test_question_answered_through_a_model_server(open_page, fresh_smollm2_server: str, model_cache_dir: Path,
                                                 tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path / "data", cache_dir=model_cache_dir,
                             model=f"openai:{fresh_smollm2_server}")
    app = build(settings)
    app.index_shipped_corpus()
    with serve(app, settings) as url:
        page = open_page(url)
        assert page.locator("#nr-model textarea, #nr-model input").first.input_value() == settings.model
        ask(page, EXAMPLES[0], timeout_s=300)
        answer = page.locator("#nr-chat .nr-answer").last
        assert "nr-error" not in (answer.get_attribute("class") or ""), answer.inner_text()
        assert answer.inner_text().strip()
        # Not asserted: that SmolLM2's reply through the server cites a source. Alone it does; in
        # full runs on 2026-12-02 (even with a server of its own) its answer carried no citation
        # and the sources panel stayed empty, so whether it cites is the 135M model's luck, not the
        # server path's. Citations through a server are checked in tests/rag/remote.


@pytest.mark.parametrize("serving", [serve, serve_all], ids=["newsrag-chat", "newsrag-serve"])
def test_uploaded_article_is_answered_with_a_citation(open_page, tmp_path: Path, serving) -> None:
    """Also with the page mounted beside the API by `newsrag serve` (issue 27)."""
    settings = fake_settings(tmp_path)
    reply = "The Lisbon tram museum reopens on 4 June after a two-year restoration [1]."
    app = build(settings, embedder=HashEmbedder(), generator=ScriptedGenerator(reply))
    article = write_article(tmp_path, "lisbon-trams.md", title="Lisbon tram museum to reopen",
                            text="The Lisbon tram museum reopens on 4 June after a two-year restoration. "
                                 "Visitors can ride a restored 1901 tram.", url="https://news.example/trams")
    with serving(app, settings) as url:
        page = open_page(url)
        assert page.get_by_text(EXAMPLES[0]).first.is_visible()  # examples on the empty chat
        upload(page, article, "added 1")
        page.get_by_role("tab", name="Documents").click()
        page.locator("#nr-documents").filter(has_text="Lisbon tram museum to reopen").wait_for()
        page.get_by_role("tab", name="Chat").click()
        ask(page, "When does the Lisbon tram museum reopen?")
        assert "4 June" in page.locator("#nr-chat .nr-answer").last.inner_text()
        entry = follow_first_citation(page)
        assert entry.locator(".nr-title").inner_text() == "Lisbon tram museum to reopen"
        assert "reopens on 4 June" in entry.locator("mark").inner_text()
        assert (settings.data_dir / "uploads" / "lisbon-trams.md").exists()
        page.click("#nr-clear")
        page.get_by_text(EXAMPLES[0]).first.wait_for()
        assert page.locator("#nr-sources .nr-source").count() == 0
        page.get_by_role("tab", name="Documents").click()
        page.fill("#nr-remove-id textarea", "lisbon-trams")
        page.click("#nr-remove")
        # Issue 12, finding 10: Remove asks first, and removes only when confirmed.
        page.locator("#nr-removed").filter(has_text="Remove lisbon-trams").wait_for()
        assert "Lisbon tram museum to reopen" in page.locator("#nr-documents").inner_text()
        page.click("#nr-remove-confirm")
        page.locator("#nr-removed").filter(has_text="Removed lisbon-trams").wait_for()
        page.locator("#nr-documents").filter(has_text="The corpus is empty").wait_for()
        assert not page.locator("#nr-remove-confirm").is_visible()
        assert not (settings.data_dir / "uploads" / "lisbon-trams.md").exists()  # finding 6


def test_script_in_an_article_renders_as_text(open_page, tmp_path: Path) -> None:
    settings = fake_settings(tmp_path, min_evidence=0.0)
    app = build(settings, embedder=HashEmbedder(), generator=ScriptedGenerator(HOSTILE_REPLY))
    odd = tmp_path / "odd"
    odd.mkdir()
    hostile = write_article(odd, '<img src=x onerror="window.__pwned=1">.md', title=HOSTILE_TITLE,
                            text=HOSTILE_TEXT, url="javascript:window.__pwned=1", doc_id="hostile")
    with serve(app, settings) as url:
        page = open_page(url)
        upload(page, hostile, "added 1")
        ask(page, "What did the Zanzibar ferry company buy?")
        entry = follow_first_citation(page)
        shown = entry.inner_text()
        assert "<script>window.__pwned=1</script>" in shown
        assert '<img src=x onerror="window.__pwned=1">' in shown
        assert "${window.__pwned=1}" in shown and "{{constructor" in shown
        assert entry.locator(".nr-title").inner_text() == HOSTILE_TITLE
        assert entry.locator("a").count() == 0  # the javascript: URL is text, not a link
        assert '<img src=x onerror="window.__pwned=1">' in page.locator("#nr-chat .nr-answer").last.inner_text()
        page.get_by_role("tab", name="Documents").click()
        page.locator("#nr-documents").filter(has_text=HOSTILE_TITLE).wait_for()
        # the file name, cleaned by Gradio and by rag.uploads, shows as text
        assert re.search(r"from \S*img src_x onerror\S*\.md", page.locator("#nr-report").inner_text())
        for selector in ("#nr-chat", "#nr-sources", "#nr-documents", "#nr-report"):
            assert page.locator(f"{selector} script, {selector} img").count() == 0, selector
        assert page.evaluate("typeof window.__pwned") == "undefined"


class SlowGenerator(ScriptedGenerator):
    """Streams like the real model: a piece every ``delay`` seconds, one caller at a time."""

    def __init__(self, reply: str, delay: float = 0.05) -> None:
        super().__init__(reply)
        self.delay = delay
        self.model_lock = threading.Lock()

    def stream(self, messages):
        with self.model_lock:
            for piece in super().stream(messages):
                time.sleep(self.delay)
                yield piece


def test_two_tabs_asking_at_once_both_get_answers(open_page, tmp_path: Path) -> None:
    settings = fake_settings(tmp_path)
    reply = "The Lisbon tram museum reopens on 4 June after a two-year restoration [1]."
    app = build(settings, embedder=HashEmbedder(), generator=SlowGenerator(reply))
    article = write_article(tmp_path, "trams.md", title="Lisbon tram museum to reopen",
                            text="The Lisbon tram museum reopens on 4 June after a two-year restoration.")
    app.ingestor.add([article])
    with serve(app, settings) as url:
        pages = [open_page(url), open_page(url)]
        for page in pages:
            page.fill("#nr-question textarea", "When does the Lisbon tram museum reopen?")
        for page in pages:
            page.press("#nr-question textarea", "Enter")
        for page in pages:
            page.wait_for_selector(ANSWERED, timeout=60_000)
            assert "4 June" in page.locator("#nr-chat .nr-answer").last.inner_text()
            assert follow_first_citation(page).locator(".nr-title").inner_text() == "Lisbon tram museum to reopen"


def test_clear_chat_stops_the_answer_in_flight(open_page, tmp_path: Path) -> None:
    settings = fake_settings(tmp_path)
    model = SlowGenerator("Huawei, Alibaba Cloud, Baidu and Tencent are pooling R&D resources to develop "
                          "indigenous AI chips and foundation models [1].", delay=0.3)
    app = build(settings, embedder=HashEmbedder(), generator=model)
    app.ingestor.add([settings.corpus_dir])
    with serve(app, settings) as url:
        page = open_page(url)
        page.get_by_text(EXAMPLES[0]).first.click()
        page.wait_for_selector("#nr-chat .nr-streaming")
        page.click("#nr-clear")
        page.get_by_text(EXAMPLES[0]).first.wait_for()  # the empty chat again
        time.sleep(1.0)  # several token intervals: nothing of the stopped answer comes back
        assert page.locator("#nr-chat .nr-answer").count() == 0, page.locator("#nr-chat").inner_text()
        assert not model.model_lock.locked(), "the stopped answer still holds the model"
        model.delay = 0.01
        ask(page, EXAMPLES[0])
        assert page.locator("#nr-chat .nr-answer").count() == 1


def test_feeds_and_article_urls_from_the_documents_tab_with_hostile_markup(open_page, tmp_path: Path, web) -> None:
    from feed_samples import HOSTILE_FEED_TITLE, HOSTILE_ITEM_TITLE, Item, article_html, rss
    from fixture_server import Route

    settings = fake_settings(tmp_path, min_evidence=0.0, allow_private_urls=True)
    reply = "The Zanzibar ferry company bought two hydrofoils [1]."
    app = build(settings, embedder=HashEmbedder(), generator=ScriptedGenerator(reply))
    body = ("The Zanzibar ferry company bought two hydrofoils for the Dar es Salaam route. "
            '<img src=x onerror="window.__pwned=1"> ') * 6
    web.routes["/hostile.xml"] = Route(rss(HOSTILE_FEED_TITLE, [
        Item("z1", HOSTILE_ITEM_TITLE, web.url("/z1"), "2024-03-04",
             summary='<img src=x onerror="window.__pwned=1">teaser', content=body.replace("<", "&lt;"))]))
    web.routes["/page"] = Route(article_html("Lisbon trams return", ["The Lisbon tram museum reopens on 4 June "
                                                                     "after a two-year restoration."] * 3),
                                headers={"Content-Type": "text/html"})
    with serve(app, settings) as url:
        page = open_page(url)
        page.get_by_role("tab", name="Documents").click()
        page.fill("#nr-feed-url textarea", web.url("/hostile.xml"))
        page.click("#nr-feed-add")
        page.locator("#nr-feed-report").filter(has_text="1 new").wait_for(timeout=60_000)
        assert HOSTILE_FEED_TITLE in page.locator("#nr-feeds").inner_text()
        page.locator("#nr-documents").filter(has_text=HOSTILE_ITEM_TITLE).wait_for()
        page.fill("#nr-article-url textarea", web.url("/page"))
        page.click("#nr-article-add")
        page.locator("#nr-article-report").filter(has_text="Lisbon trams return").wait_for(timeout=60_000)
        page.fill("#nr-article-url textarea", web.url("/missing"))
        page.click("#nr-article-add")
        page.locator("#nr-article-report").filter(has_text="HTTP 404").wait_for(timeout=60_000)
        page.click("#nr-feed-sync")
        page.locator("#nr-feed-report").filter(has_text="1 unchanged").wait_for(timeout=60_000)
        page.get_by_role("tab", name="Chat").click()
        ask(page, "What did the Zanzibar ferry company buy?")
        entry = follow_first_citation(page)
        assert entry.locator(".nr-title").inner_text() == HOSTILE_ITEM_TITLE
        assert "2024-03-04" in entry.locator(".nr-facts").inner_text()
        for selector in ("#nr-chat", "#nr-sources", "#nr-documents", "#nr-feeds", "#nr-feed-report"):
            assert page.locator(f"{selector} script, {selector} img").count() == 0, selector
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.get_by_role("tab", name="Documents").click()
        page.fill("#nr-feed-url textarea", web.url("/hostile.xml"))
        page.click("#nr-feed-remove")
        page.locator("#nr-feed-report").filter(has_text="removed 1").wait_for()
        page.locator("#nr-feeds").filter(has_text="No feeds yet").wait_for()


STORY_SHOT = Path("/tmp/stories-view.png")
BRIEF_SHOT = Path("/tmp/stories-brief.png")


def test_what_happened_this_week_is_a_brief_grouping_several_outlets_and_the_stories_view_shows_it(
        open_page, tmp_path: Path, web) -> None:
    """Issue 25, done means: three outlets' feeds on 127.0.0.1 report one event; in the chat "What
    happened this week?" gives a cited brief whose first story groups the three reports, and the
    Stories view shows it with its timeline. The pages are saved to /tmp/stories-brief.png and
    /tmp/stories-view.png."""
    from datetime import date, timedelta

    from feed_samples import Item, rss
    from fixture_server import Route
    from story_samples import EVENT, OUTLETS

    settings = fake_settings(tmp_path, allow_private_urls=True, fetch_per_host_rps=1000)
    app = build(settings, embedder=HashEmbedder(), generator=ScriptedGenerator("The corpus does not cover this question."))
    today = date.today()
    for i, (site, title) in enumerate(OUTLETS):
        items = [Item(f"ferry-{i}", title, web.url(f"/o{i}/ferry"), (today - timedelta(days=i)).isoformat(),
                      content=f"<p>{EVENT}</p>" * 3)]
        if i == 0:
            items.append(Item("library", "City council approves new library budget", web.url("/o0/library"),
                              today.isoformat(), content="<p>The city council approved a budget for the new central "
                                                         "library on Monday, with construction to start next spring.</p>" * 3))
        web.routes[f"/o{i}.xml"] = Route(rss(site, items))
    with serve(app, settings) as url:
        page = open_page(url)
        page.get_by_role("tab", name="Stories").click()
        page.locator("#nr-stories").filter(has_text="No stories yet").wait_for()
        page.get_by_role("tab", name="Documents").click()
        for i, (site, _) in enumerate(OUTLETS):
            page.fill("#nr-feed-url textarea", web.url(f"/o{i}.xml"))
            page.click("#nr-feed-add")
            page.locator("#nr-feeds").filter(has_text=site).wait_for(timeout=60_000)
        page.get_by_role("tab", name="Chat").click()
        ask(page, "What happened this week?")
        brief = page.locator("#nr-chat .nr-brief").last
        first = brief.locator("li").first.inner_text()
        assert "reported by 3 outlets" in first and "[1]" in first and "[3]" in first, brief.inner_text()
        assert "does not cover" not in brief.inner_text()
        sources = page.locator("#nr-sources li.nr-source")
        assert sources.count() == 4
        panel = page.locator("#nr-sources").inner_text()
        for _, title in OUTLETS:
            assert title in panel
        page.screenshot(path=str(BRIEF_SHOT), full_page=True)
        page.get_by_role("tab", name="Stories").click()
        story = page.locator("#nr-stories details.nr-story").first
        story.wait_for()
        assert page.locator("#nr-stories details.nr-story").count() == 2
        assert "3 outlets · 3 articles" in story.locator("summary").inner_text()
        story.locator("summary .nr-headline").click()
        entries = story.locator("li.nr-entry")
        expect(entries.first).to_be_visible()
        assert entries.count() == 3
        timeline = story.locator(".nr-timeline").inner_text()
        for site, _ in OUTLETS:
            assert site in timeline
        assert story.locator(".nr-title a").first.get_attribute("href").startswith(web.url("/o"))
        page.screenshot(path=str(STORY_SHOT), full_page=True)
