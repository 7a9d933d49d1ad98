"""The Gradio page: a chat tab (streaming answers, sources panel, settings), a stories tab (the
current stories, each opening to its timeline) and a documents tab.

``create_app`` lays out the page and wires events to the plain functions in ``ui.handlers``;
``launch_options`` gives the arguments ``Blocks.launch`` needs (host, port, login, upload limit,
the stylesheet and a theme without web fonts, since the app runs offline, and the Host check of
ui.hosts against DNS rebinding). This is the one
module that imports Gradio (``newsrag chat`` imports it only when run). Not here: answering or
indexing (rag), HTML (ui.render_html).

Concurrency: up to CHAT_WORKERS answers run at once, each in its own worker thread, and the
language model's lock queues their generation, so several tabs can ask together; retrieval and
"not covered" answers do not wait for another tab's generation, and requests beyond that wait in
Gradio's queue with their position shown. Within a tab a question is taken only when the previous
answer has ended. Indexing uploads, removing documents and the feed buttons share one worker of
their own, so they never take a chat slot and never interleave; `newsrag chat` also syncs due
feeds in a background thread (rag.feeds.background).
"""
from __future__ import annotations

from typing import Any, Iterator

import gradio as gr
from starlette.middleware import Middleware

from rag.errors import ConfigError
from rag.hosts import is_loopback
from rag.loaders.reading import MB
from rag.settings import Settings
from rag.wiring import Newsrag
from ui import feeds, handlers
from ui.handlers import Turn
from ui.hosts import HostCheck, allowed_hosts
from ui.render_html import render_upload_result
from rag.uploads import ALLOWED_SUFFIXES

EXAMPLES = (
    "Which firms are pooling chip R&D?",
    "What does Beijing offer startups and universities?",
    "Which U.S. chipmakers is China trying to decouple from?",
)
CHAT_WORKERS = 4  # answers in flight at once; the model itself serves one at a time
QUEUE_MAX = 64  # waiting requests beyond this are refused rather than piling up
MAX_TOP_K = 10
# Gradio's own copies of uploads: ours are made at once (rag.uploads), so theirs go within minutes.
DELETE_CACHE = (600, 600)  # (check every N seconds, delete files older than N seconds)

CSS = """
#nr-sources .nr-panel { font-size: 0.92rem; padding-top: 2.2em; }  /* clear of the "Sources" label */
.nr-turn { margin-bottom: 1.2em; }
.nr-turn-q { font-weight: 600; margin-bottom: 0.4em; }
.nr-sources { list-style: none; padding-left: 0; margin: 0; }
.nr-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6em 0.8em;
             margin-bottom: 0.6em; scroll-margin-top: 1em; }
.nr-source:target, .nr-source.nr-active { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.nr-num { font-weight: 700; color: var(--color-accent); }
.nr-title { font-weight: 600; }
.nr-facts { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0.2em 0 0.4em; }
.nr-passage { white-space: pre-wrap; margin: 0; padding-left: 0.7em; border-left: 3px solid var(--border-color-primary); }
.nr-passage mark { background: #fde68a; color: #1f2937; padding: 0 1px; }
.nr-cite { color: var(--color-accent); font-size: 0.8em; vertical-align: super; text-decoration: none; font-weight: 600; margin-left: 1px; }
.nr-unsupported { text-decoration: underline wavy #d97706; }
.nr-flag { font-size: 0.75em; color: #b45309; margin: 0 0.4em; white-space: nowrap; }
.nr-abstained { font-style: italic; }
.nr-pending, .nr-meta, .nr-empty, .nr-none, .nr-count { color: var(--body-text-color-subdued); }
.nr-meta { font-size: 0.75em; margin-top: 0.4em; }
.nr-error { color: #b91c1c; }
.nr-cursor { animation: nr-blink 1s step-start infinite; }
@keyframes nr-blink { 50% { opacity: 0; } }
.nr-docs { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.nr-docs th, .nr-docs td { text-align: left; padding: 0.3em 0.5em; border-bottom: 1px solid var(--border-color-primary); }
.nr-docs .nr-n { text-align: right; }
.nr-icon { display: inline-block; width: 1.2em; height: 1.2em; line-height: 1.15em; text-align: center;
           border: 1.5px solid currentColor; border-radius: 50%; font-style: normal; font-weight: 700;
           font-size: 0.8em; font-family: ui-serif, Georgia, serif; }
.nr-form { font-weight: 600; margin-bottom: 0.3em; }
.nr-items { margin: 0; padding-left: 1.4em; }
.nr-items li { margin-bottom: 0.25em; }
.nr-corroboration { font-weight: 600; }
.nr-story { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6em 0.8em; margin-bottom: 0.6em; }
.nr-story summary { cursor: pointer; }
.nr-headline { font-weight: 700; font-size: 1.05em; }
.nr-story .nr-facts { margin: 0.2em 0; }
.nr-summary { margin: 0.3em 0 0; }
.nr-timeline { margin: 0.6em 0 0; padding-left: 0; list-style: none; }
.nr-entry { margin-bottom: 0.5em; scroll-margin-top: 1em; }
.nr-entry:target { background: var(--color-accent-soft); }
.nr-day { font-variant-numeric: tabular-nums; font-weight: 600; }
.nr-lead { font-size: 0.92em; color: var(--body-text-color-subdued); margin-left: 2.2em; }
"""

# A citation click scrolls its source into view inside the panel only as far as needed, instead
# of the browser's jump that scrolls the whole page; without this script the plain anchor works.
HEAD = """<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.nr-cite") : null;
  var entry = link && document.getElementById((link.getAttribute("href") || "").slice(1));
  if (!entry) return;
  event.preventDefault();
  document.querySelectorAll(".nr-source.nr-active").forEach(function (e) { e.classList.remove("nr-active"); });
  entry.classList.add("nr-active");
  entry.scrollIntoView({behavior: "smooth", block: "nearest"});
});
</script>"""


def create_app(app: Newsrag, settings: Settings) -> gr.Blocks:
    """The chat page over ``app``; launch it with ``demo.launch(**launch_options(settings))``."""
    top_k_default = max(1, min(settings.top_k, MAX_TOP_K))
    with gr.Blocks(title="newsrag", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        turns = gr.State([])
        session = gr.State(handlers.Session())  # deep-copied per tab by Gradio
        gr.Markdown("## newsrag\nAsk about the news in your corpus. Every answer cites the passages it rests on.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="Chat", elem_id="nr-chat", height=560,
                            # Messages are HTML built by ui.render_html (already escaped); no Markdown
                            # or LaTeX pass may reinterpret article text. Gradio sanitizes too.
                            render_markdown=False, sanitize_html=True, allow_tags=False, latex_delimiters=[],
                            examples=[{"text": q} for q in EXAMPLES], buttons=[], feedback_options=None,
                            group_consecutive_messages=False,
                            placeholder="Ask a question, or pick an example.",
                        )
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="Ask about the news…", scale=5,
                                                  lines=1, max_lines=4, elem_id="nr-question", autofocus=True,
                                                  max_length=settings.max_question_chars)
                            ask = gr.Button("Ask", variant="primary", scale=1, elem_id="nr-ask")
                        clear = gr.Button("Clear chat", size="sm", elem_id="nr-clear")
                    with gr.Column(scale=2):
                        sources = gr.HTML(handlers.sources_panel([]), label="Sources", show_label=True,
                                          container=True, elem_id="nr-sources", js_on_load=None, max_height=640)
                        with gr.Accordion("Settings", open=True):
                            top_k = gr.Slider(1, MAX_TOP_K, value=top_k_default, step=1, label="Passages to retrieve",
                                              elem_id="nr-top-k")
                            gr.Textbox(app.pipeline.generator.name, label="Model in use", interactive=False,
                                       elem_id="nr-model")
            with gr.Tab("Stories", id="stories") as stories_tab:
                refresh_stories = gr.Button("Refresh", size="sm", elem_id="nr-stories-refresh")
                stories_view = gr.HTML(elem_id="nr-stories", js_on_load=None)
            with gr.Tab("Documents", id="documents") as documents_tab:
                upload = gr.File(label="Add articles: " + " ".join(ALLOWED_SUFFIXES) +
                                 f" (up to {settings.upload_max_mb:g} MB each)",
                                 file_count="multiple", file_types=list(ALLOWED_SUFFIXES), elem_id="nr-upload")
                report = gr.HTML(elem_id="nr-report", js_on_load=None)
                with gr.Row():
                    remove_id = gr.Textbox(label="Remove a document by id", scale=4, elem_id="nr-remove-id")
                    remove = gr.Button("Remove", variant="stop", scale=1, elem_id="nr-remove")
                removed = gr.HTML(elem_id="nr-removed", js_on_load=None)
                # Remove only asks; this row does it, for the id it asked about.
                with gr.Row(visible=False) as confirm_row:
                    confirm = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="nr-remove-confirm")
                    cancel = gr.Button("Keep it", size="sm", elem_id="nr-remove-cancel")
                pending = gr.State("")
                with gr.Accordion("Feeds and web pages", open=True):
                    with gr.Row():
                        feed_url = gr.Textbox(label="Feed URL (RSS or Atom)", scale=4, elem_id="nr-feed-url")
                        feed_add = gr.Button("Add feed", scale=1, elem_id="nr-feed-add")
                        feed_remove = gr.Button("Remove feed", variant="stop", scale=1, elem_id="nr-feed-remove")
                        feed_sync = gr.Button("Sync now", scale=1, elem_id="nr-feed-sync")
                    feed_report = gr.HTML(elem_id="nr-feed-report", js_on_load=None)
                    feed_table = gr.HTML(elem_id="nr-feeds", js_on_load=None)
                    with gr.Row():
                        article_url = gr.Textbox(label="Add an article by URL", scale=4, elem_id="nr-article-url")
                        article_add = gr.Button("Add article", scale=1, elem_id="nr-article-add")
                    article_report = gr.HTML(elem_id="nr-article-report", js_on_load=None)
                documents = gr.HTML(elem_id="nr-documents", js_on_load=None)

        def on_ask(text: str, state: list[Turn], k: float, tab: handlers.Session) -> Iterator[tuple[Any, ...]]:
            first = True
            for messages, new_turns, panel in handlers.respond(app, text, state, int(k), tab):
                # Empty the box once; later updates leave alone what the user types meanwhile.
                yield ("" if first else gr.skip()), messages, new_turns, panel
                first = False

        def on_example(state: list[Turn], k: float, tab: handlers.Session,
                       evt: gr.SelectData) -> Iterator[tuple[Any, ...]]:
            value = evt.value if isinstance(evt.value, dict) else {}
            yield from on_ask(str(value.get("text") or ""), state, k, tab)

        chat_options: dict[str, Any] = dict(concurrency_limit=CHAT_WORKERS, concurrency_id="chat",
                                            trigger_mode="once", show_progress="minimal",
                                            show_progress_on=[chatbot])
        outputs = [question, chatbot, turns, sources]
        gr.on([question.submit, ask.click], on_ask, [question, turns, top_k, session], outputs, **chat_options)
        chatbot.example_select(on_example, [turns, top_k, session], outputs, **chat_options)
        for trigger in (clear.click, chatbot.clear):
            trigger(handlers.clear_chat, [session], [chatbot, turns, sources])

        def on_upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
            progress(0, desc="Storing the files")

            def indexing(docs: int, chunks: int) -> None:
                progress((docs, None), desc=f"Indexing: {docs} documents read, {chunks} chunks embedded",
                         unit="documents")

            result = handlers.add_uploads(app, files, max_mb=settings.upload_max_mb, progress=indexing)
            return render_upload_result(result), handlers.documents_html(app), None, handlers.stories_html(app)

        # The documents tab's events stay off Gradio's API page and clients: they read and change
        # the corpus. (The page itself still calls them by number; ui.hosts keeps other sites out.)
        private = dict(api_visibility="private")
        upload.upload(on_upload, [upload], [report, documents, upload, stories_view], concurrency_limit=1,
                      concurrency_id="ingest", **private)
        def on_remove(doc_id: str) -> tuple[Any, ...]:
            doc = handlers.find_document(app, doc_id)
            return (handlers.ask_to_remove(app, doc_id), gr.update(visible=doc is not None),
                    doc.id if doc is not None else "")

        def on_confirm(doc_id: str) -> tuple[Any, ...]:
            return (handlers.remove_document(app, doc_id), handlers.documents_html(app), "",
                    gr.update(visible=False), "", handlers.stories_html(app))

        remove.click(on_remove, [remove_id], [removed, confirm_row, pending], **private)
        confirm.click(on_confirm, [pending], [removed, documents, remove_id, confirm_row, pending, stories_view],
                      concurrency_limit=1, concurrency_id="ingest", **private)
        cancel.click(lambda: ("", gr.update(visible=False), ""), None, [removed, confirm_row, pending], **private)
        ingest = dict(concurrency_limit=1, concurrency_id="ingest", **private)
        # Every change to the corpus redraws the Stories view: its articles joined stories as they were indexed.
        for button, action in ((feed_add, feeds.add_feed), (feed_remove, feeds.remove_feed)):
            button.click(lambda url, act=action: (act(app, url), feeds.feeds_html(app), handlers.documents_html(app),
                                                  handlers.stories_html(app)),
                         [feed_url], [feed_report, feed_table, documents, stories_view], **ingest)
        feed_sync.click(lambda: (feeds.sync_now(app), feeds.feeds_html(app), handlers.documents_html(app),
                                 handlers.stories_html(app)),
                        None, [feed_report, feed_table, documents, stories_view], **ingest)
        article_add.click(lambda url: (feeds.add_article(app, url), handlers.documents_html(app),
                                       handlers.stories_html(app)),
                          [article_url], [article_report, documents, stories_view], **ingest)
        # The background sync (rag.feeds.background) adds articles too: the view is redrawn when opened.
        for trigger in (stories_tab.select, refresh_stories.click):
            trigger(lambda: handlers.stories_html(app), None, stories_view, **private)
        demo.load(lambda: handlers.documents_html(app), None, documents, **private)
        documents_tab.select(lambda: (handlers.documents_html(app), feeds.feeds_html(app)), None,
                             [documents, feed_table], **private)

    demo.queue(default_concurrency_limit=2, max_size=QUEUE_MAX)
    return demo


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: where to listen, login, limits and looks.

    Raises ConfigError for a host beyond this machine without ``auth``: anyone who can reach the
    page may upload and remove documents, so that needs ``allow_public_host`` said explicitly.
    """
    if not settings.auth and not settings.allow_public_host and not is_loopback(settings.host):
        raise ConfigError(
            f"host {settings.host!r} lets other machines reach the chat, where anyone can upload and "
            "remove documents: set auth = \"user:password\" (NEWSRAG_AUTH), or allow_public_host = true "
            "(--allow-public-host) to serve it without a login")
    options: dict[str, Any] = dict(
        server_name=settings.host, server_port=settings.port,
        max_file_size=int(settings.upload_max_mb * MB),
        css=CSS, head=HEAD,
        # System fonts: the default theme would fetch web fonts, and this app runs offline.
        theme=gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                                font_mono=["ui-monospace", "monospace"]),
        ssr_mode=False, show_error=False, footer_links=["settings"],
        # Only requests naming a host the chat is served as: no DNS rebinding (ui.hosts).
        app_kwargs={"middleware": [Middleware(HostCheck, allowed=allowed_hosts(settings.host))]},
    )
    if settings.auth:
        user, password = settings.auth.split(":", 1)
        options["auth"] = (user, password)
        options["auth_message"] = "newsrag: log in with the user and password from the settings."
    return options
