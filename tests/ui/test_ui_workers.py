"""Two chat workers over one data directory and one model server, as behind a load balancer.

Each worker is its own `Newsrag` (own SQLite connections, own FAISS index caught up from the
store's generation, own HTTP client): what one worker's Documents tab adds, the other answers
from, with no restart and nothing passed between them but the store and the model server.
"""
from __future__ import annotations

from pathlib import Path

from fakes import HashEmbedder
from servers import StubServer, send_events

from builders import server_generator
from rag.wiring import build
from tests.ui.ui_samples import write_article
from ui.handlers import add_uploads, documents_html, remove_document, respond

REPLY = "The Lisbon tram museum reopens on 4 June after a two-year restoration [1]."


def test_what_one_worker_adds_the_other_answers_from_and_removes(settings, tmp_path: Path) -> None:
    article = write_article(tmp_path, "trams.md", title="Lisbon tram museum to reopen",
                            text="The Lisbon tram museum reopens on 4 June after a two-year restoration.")
    with StubServer(lambda r: send_events(r, [w + " " for w in REPLY.split()])) as url:
        workers = [build(settings, embedder=HashEmbedder(), generator=server_generator(url, model_name="m"))
                   for _ in range(2)]
        first, second = workers
        assert "Lisbon" not in documents_html(second)
        result = add_uploads(first, [article], max_mb=5)
        assert result.report is not None and result.report.added == ["trams"]
        assert "Lisbon tram museum to reopen" in documents_html(second)
        _, turns, panel = list(respond(second, "When does the Lisbon tram museum reopen?", []))[-1]
        assert "4 June" in turns[0].answer_text and "Lisbon tram museum to reopen" in panel
        assert (settings.data_dir / "uploads" / "trams.md").exists()  # the upload is in the shared folder
        assert "Removed" in remove_document(second, "trams")
        assert "Lisbon" not in documents_html(first)
        _, turns, _ = list(respond(first, "When does the Lisbon tram museum reopen?", []))[-1]
        assert "4 June" not in turns[0].answer_text
