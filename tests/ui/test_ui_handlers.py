"""The chat and document handlers with fake models: streaming, follow-ups, errors, uploads, removal."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

from fakes import HashEmbedder, ScriptedGenerator

from rag.errors import ModelError
from rag.wiring import build
from tests.ui.ui_samples import HOSTILE_REPLY, SEED_REPLY, audit, write_article
from ui import handlers
from ui.handlers import Turn, add_uploads, documents_html, remove_document, respond
from ui.render_html import render_upload_result

EXAMPLE = "Which firms are pooling chip R&D?"


def final(updates: list) -> tuple[list[dict], list[Turn], str]:
    return updates[-1]


def test_answer_streams_then_becomes_the_checked_answer(make_app, seed_file: Path) -> None:
    app = make_app(SEED_REPLY)
    app.ingestor.add([seed_file])
    updates = list(respond(app, EXAMPLE, [], 5))
    first_messages, first_turns, _ = updates[0]
    assert [m["role"] for m in first_messages] == ["user", "assistant"]
    assert "R&amp;D" in first_messages[0]["content"] and "Searching" in first_messages[1]["content"]
    assert first_turns == []
    streamed = [u[0][-1]["content"] for u in updates[1:-1]]
    assert len(streamed) >= 5 and "nr-streaming" in streamed[-1] and "[1]." in streamed[-1]
    messages, turns, panel = final(updates)
    audit(messages[-1]["content"])
    audit(panel)
    assert '<a class="nr-cite" href="#nr-src-1-1"' in messages[-1]["content"]
    assert 'id="nr-src-1-1"' in panel and "<mark>" in panel and "Huawei" in panel
    assert turns[0].question == EXAMPLE and turns[0].answer_text.endswith("[1].")


def test_follow_up_sends_the_history_and_numbers_its_sources_apart(make_app, seed_file: Path) -> None:
    app = make_app(SEED_REPLY, "Beijing is offering incentives for startups and universities [1].")
    app.ingestor.add([seed_file])
    _, turns, _ = final(list(respond(app, EXAMPLE, [], 5)))
    messages, turns, panel = final(list(respond(app, "and what does Beijing offer them?", turns, 5)))
    seen = app.pipeline.generator.seen[-1]
    assert seen[1] == {"role": "user", "content": EXAMPLE}
    assert seen[2]["role"] == "assistant" and "Huawei" in seen[2]["content"] and "[1]" not in seen[2]["content"]
    assert [t.number for t in turns] == [1, 2] and len(messages) == 4
    assert 'href="#nr-src-2-1"' in messages[-1]["content"] and 'href="#nr-src-1-1"' in messages[1]["content"]
    assert panel.index('id="nr-src-2-1"') < panel.index('id="nr-src-1-1"')  # newest first


def test_not_covered_is_said_plainly(make_app, seed_file: Path) -> None:
    app = make_app("never said", min_evidence=0.99)
    app.ingestor.add([seed_file])
    messages, turns, panel = final(list(respond(app, "Who won the 1954 World Cup?", [], 5)))
    assert "nr-abstained" in messages[-1]["content"] and "does not cover" in messages[-1]["content"]
    assert "nr-cite" not in messages[-1]["content"] and "no passage was cited" in panel
    assert app.pipeline.generator.seen == []


def test_empty_question_changes_nothing(make_app) -> None:
    app = make_app("x")
    assert list(respond(app, "   ", [], 5)) == [([], [], handlers.sources_panel([]))]
    assert handlers.clear_chat() == ([], [], handlers.sources_panel([]))


class Broken(ScriptedGenerator):
    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        yield "Half an"
        raise ModelError("model.gguf: prompt is <longer> than the context")


def test_a_model_error_is_shown_and_left_out_of_the_history(settings, seed_file: Path) -> None:
    app = build(settings, embedder=HashEmbedder(), generator=Broken())
    app.ingestor.add([seed_file])
    messages, turns, _ = final(list(respond(app, EXAMPLE, [], 5)))
    assert "Could not answer" in messages[-1]["content"] and "&lt;longer&gt;" in messages[-1]["content"]
    assert len(turns) == 1 and handlers.history(turns) == []


class Crashing(ScriptedGenerator):
    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        raise RuntimeError("llama.cpp said <no>")
        yield ""


def test_unexpected_errors_are_logged_and_shown_without_their_details(settings, seed_file: Path, caplog) -> None:
    """Issue 12, finding 7: the chat says something failed; the type and message go to the log."""
    app = build(settings, embedder=HashEmbedder(), generator=Crashing())
    app.ingestor.add([seed_file])
    messages, turns, _ = final(list(respond(app, EXAMPLE, [], 5)))
    shown = messages[-1]["content"]
    assert "nr-error" in shown and "server log" in shown
    assert "RuntimeError" not in shown and "llama.cpp said" not in shown and "unexpected" not in shown
    assert "answering" in caplog.text and "llama.cpp said <no>" in caplog.text
    assert handlers.history(turns) == []


def test_an_over_long_question_is_refused_with_a_clear_message(make_app, seed_file: Path) -> None:
    """Issue 12, finding 12: the question box has a length limit, said in the chat."""
    app = make_app(SEED_REPLY, max_question_chars=50)
    app.ingestor.add([seed_file])
    messages, turns, _ = final(list(respond(app, "Which firms " + "really " * 20 + "pool chip R&D?", [], 5)))
    assert "nr-error" in messages[-1]["content"] and "50 characters" in messages[-1]["content"]
    assert app.pipeline.generator.seen == [] and handlers.history(turns) == []


class Gated(ScriptedGenerator):
    """Holds a lock while streaming, like the llama.cpp generator, and waits on a gate per token."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply.split(" ")
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        self.generating = threading.Event()

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self.lock:
            self.generating.set()
            for word in self.reply:
                assert self.gate.wait(30)
                yield word + " "


def test_leaving_mid_answer_releases_the_model(settings, seed_file: Path) -> None:
    model = Gated(SEED_REPLY)
    app = build(settings, embedder=HashEmbedder(), generator=model)
    app.ingestor.add([seed_file])
    updates = respond(app, EXAMPLE, [], 5)
    for _ in range(3):
        next(updates)
    assert model.lock.locked()
    updates.close()  # what Gradio does when the tab goes away
    assert not model.lock.locked()


def test_clearing_mid_answer_stops_it_and_ends_on_the_empty_chat(settings, seed_file: Path) -> None:
    model = Gated(SEED_REPLY)
    app = build(settings, embedder=HashEmbedder(), generator=model)
    app.ingestor.add([seed_file])
    session = handlers.Session()
    updates = respond(app, EXAMPLE, [], 5, session)
    for _ in range(3):
        next(updates)
    assert handlers.clear_chat(session) == ([], [], handlers.sources_panel([]))
    rest = list(updates)
    assert rest == [([], [], handlers.sources_panel([]))]  # the last word is the empty chat
    assert not model.lock.locked()


def test_a_cleared_answer_leaves_a_newer_one_alone(settings, seed_file: Path) -> None:
    model = Gated(SEED_REPLY)
    app = build(settings, embedder=HashEmbedder(), generator=model)
    app.ingestor.add([seed_file])
    session = handlers.Session()
    old = respond(app, EXAMPLE, [], 5, session)
    next(old)  # shown, waiting for its first token
    handlers.clear_chat(session)
    newer = respond(app, "Who pools R&D?", [], 5, session)
    next(newer)
    assert list(old) == []  # stops without touching what the newer answer shows
    messages, turns, _ = final(list(newer))
    assert turns[0].question == "Who pools R&D?" and "nr-cite" in messages[-1]["content"]


def test_two_tabs_at_once_both_get_their_answer(settings, seed_file: Path) -> None:
    model = Gated(SEED_REPLY)
    app = build(settings, embedder=HashEmbedder(), generator=model)
    app.ingestor.add([seed_file])
    model.gate.clear()
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def tab(name: str) -> None:
        try:
            results[name] = list(respond(app, EXAMPLE, [], 5))
        except BaseException as exc:  # reported below rather than lost in the thread
            errors.append(exc)

    first = threading.Thread(target=tab, args=("first",))
    first.start()
    assert model.generating.wait(10)  # the first tab holds the model ...
    second = threading.Thread(target=tab, args=("second",))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # ... so the second one waits for it, without failing
    model.gate.set()
    first.join(30)
    second.join(30)
    assert errors == []
    for name in ("first", "second"):
        messages, turns, _ = final(results[name])
        assert 'href="#nr-src-1-1"' in messages[-1]["content"] and len(turns) == 1


def test_hostile_article_and_reply_render_as_text(make_app, hostile_file: Path) -> None:
    app = make_app(HOSTILE_REPLY, min_evidence=0.0)  # the hash embedder finds the markup noisy
    assert add_uploads(app, [hostile_file], max_mb=1).report.added == ["hostile"]
    updates = list(respond(app, "What did the Zanzibar ferry company buy?", [], 5))
    for messages, _, panel in updates:
        for message in messages:
            audit(message["content"])
        audit(panel)
    messages, _, panel = updates[-1]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in panel
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in messages[-1]["content"]
    assert "javascript:window.__pwned=1" in panel  # the bad URL is shown, as text only
    audit(documents_html(app))


# -- documents ------------------------------------------------------------------------------------


def test_upload_is_answerable_right_away(make_app, seed_file: Path, settings) -> None:
    app = make_app(SEED_REPLY)
    seen: list[tuple[int, int]] = []
    result = add_uploads(app, [str(seed_file)], max_mb=1, progress=lambda d, c: seen.append((d, c)))
    assert result.report.added == ["seed"] and result.rejected == []
    assert (settings.data_dir / "uploads" / "seed.md").read_text() == seed_file.read_text()
    assert seen and seen[-1][0] == 1
    assert ("Added <code>seed</code> “China&#x27;s tech giants form AI alliances” from seed.md"
            in render_upload_result(result))
    messages, _, panel = final(list(respond(app, EXAMPLE, [], 5)))
    assert "nr-cite" in messages[-1]["content"] and "id seed" in panel
    assert "seed" in documents_html(app)
    again = add_uploads(app, [seed_file], max_mb=1)
    assert again.report.unchanged == ["seed"]


def test_bad_uploads_are_reported_and_never_stop_the_good_ones(make_app, seed_file: Path, tmp_path: Path,
                                                              settings) -> None:
    app = make_app(SEED_REPLY)
    odd = tmp_path / "odd"
    odd.mkdir()
    hostile_name = write_article(odd, "<img src=x onerror=alert(1)>.md", title="Odd name", text="Ferries sail at dawn.")
    empty = odd / "empty.txt"
    empty.write_text("")
    program = odd / "run.exe"
    program.write_bytes(b"MZ")
    big = odd / "big.txt"
    big.write_text("x" * (2 * 1024 * 1024))
    result = add_uploads(app, [seed_file, hostile_name, empty, program, big, odd / "gone.md"], max_mb=1)
    assert sorted(result.report.added) == ["img-src-x-onerror-alert-1", "seed"]
    assert {name for name, _ in result.rejected} == {"run.exe", "big.txt", "gone.md"}
    assert [Path(e.path).name for e in result.report.errors] == ["empty.txt"]
    stored = sorted(p.name for p in (settings.data_dir / "uploads").iterdir() if not p.name.startswith("."))
    assert stored == ["_img src_x onerror_alert_1__.md", "seed.md"]  # not empty.txt, which failed
    report = render_upload_result(result)
    audit(report)
    assert "errors 4" in report and "over the 1 MB upload limit" in report and "file is empty" in report


def listed(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))  # not the manifest


def test_uploads_that_fail_or_are_removed_are_deleted(make_app, seed_file: Path, tmp_path: Path,
                                                     settings) -> None:
    """Issue 12, finding 6: data_dir/uploads keeps only files some document still comes from."""
    app = make_app(SEED_REPLY)
    folder = settings.data_dir / "uploads"
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "r1", "text": "Row one about tides."}\n{"id": "r2", "text": "Row two about ferries."}\n')
    twin = tmp_path / "twin.md"
    twin.write_text(seed_file.read_text().replace("id: seed", "id: seed-copy"))
    add_uploads(app, [seed_file, broken, rows], max_mb=1)
    assert listed(folder) == ["rows.jsonl", "seed.md"]
    result = add_uploads(app, [twin], max_mb=1)  # the same article again: nothing new to keep
    assert result.report.duplicates and listed(folder) == ["rows.jsonl", "seed.md"]
    remove_document(app, "seed")
    remove_document(app, "r1")
    assert listed(folder) == ["rows.jsonl"]  # r2 still comes from it
    remove_document(app, "r2")
    assert listed(folder) == []


def test_removing_a_document_asks_for_confirmation_first(make_app, seed_file: Path) -> None:
    """Issue 12, finding 10: the first click only asks; the document stays until confirmed."""
    app = make_app(SEED_REPLY)
    add_uploads(app, [seed_file], max_mb=1)
    prompt = handlers.ask_to_remove(app, " seed ")
    assert "Remove <code>seed</code>" in prompt and "China&#x27;s tech giants" in prompt
    assert [d.id for d in app.store.documents()] == ["seed"]
    assert "No document with id" in handlers.ask_to_remove(app, "nope")


def test_remove_by_id(make_app, seed_file: Path) -> None:
    app = make_app(SEED_REPLY)
    add_uploads(app, [seed_file], max_mb=1)
    assert "Removed <code>seed</code>" in remove_document(app, " seed ")
    assert "empty" in documents_html(app)
    assert "No document with id <code>&lt;b&gt;x&lt;/b&gt;</code>" in remove_document(app, "<b>x</b>")
    assert "Give the id" in remove_document(app, "")
    messages, _, _ = final(list(respond(app, EXAMPLE, [], 5)))
    assert "nr-abstained" in messages[-1]["content"]  # gone from the answers too
