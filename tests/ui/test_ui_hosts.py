"""The served chat answers only under the names it is served as (no DNS rebinding), and keeps its
document and feed handlers off Gradio's public API."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.ui.served import run_event, serve
from ui.app import create_app

MUTATING = ("nr-upload", "nr-remove", "nr-remove-confirm", "nr-feed-add", "nr-feed-remove", "nr-feed-sync",
            "nr-article-add")


def fn_index(demo, elem_id: str | None, trigger: str) -> int:
    """The index the page uses to run the event ``trigger`` of the component ``elem_id``."""
    ids = {b._id: getattr(b, "elem_id", None) for b in demo.blocks.values()}
    return next(i for i, fn in demo.fns.items() if any((ids.get(t[0]), t[1]) == (elem_id, trigger)
                                                        for t in fn.targets))


def test_a_forged_host_header_is_refused(make_app, settings, seed_file: Path, tmp_path: Path) -> None:
    """Issue 23, finding 4: with `Host: attacker.example:PORT` (DNS rebinding) the Gradio API listed the
    documents and subscribed a feed, so any web page the user visited could read and change the corpus."""
    app = make_app("x")
    app.ingestor.add([seed_file])
    demos: list = []
    with serve(app, settings, keep_demo=demos) as url, httpx.Client(base_url=url, timeout=30) as client:
        port = httpx.URL(url).port
        listing, confirm = fn_index(demos[0], None, "load"), fn_index(demos[0], "nr-remove-confirm", "click")
        note = tmp_path / "note.txt"
        note.write_text("The ferry leaves at noon.")
        for host in (f"attacker.example:{port}", "attacker.example", f"localhost.attacker.example:{port}",
                     f"127.0.0.1.nip.example:{port}", f"0.0.0.0:{port}", ""):
            forged = {"host": host}
            for path in ("", "config", "gradio_api/info", "gradio_api/queue/data?session_hash=x"):
                assert client.get(path, headers=forged).status_code == 403, (host, path)
            assert run_event(client, listing, [], headers=forged).status_code == 403
            assert run_event(client, confirm, ["seed"], headers=forged).status_code == 403
            with note.open("rb") as f:
                assert client.post("gradio_api/upload", files={"files": f}, headers=forged).status_code == 403
        assert [d.id for d in app.store.documents()] == ["seed"]

        for host in (f"127.0.0.1:{port}", "127.0.0.1", f"localhost:{port}", f"LocalHost:{port}", f"[::1]:{port}"):
            ok = {"host": host}
            assert client.get("", headers=ok).status_code == 200, host
            assert client.get("config", headers=ok).status_code == 200, host
        shown = run_event(client, listing, [], headers={"host": f"localhost:{port}"})
        assert "<code>seed</code>" in shown[0]


def test_document_and_feed_handlers_are_off_the_public_api(make_app, settings) -> None:
    """Issue 23, finding 4: no API page or Gradio client offers adding, removing or listing documents."""
    demo = create_app(make_app("x"), settings)
    hidden = [fn_index(demo, elem_id, "click" if elem_id != "nr-upload" else "upload") for elem_id in MUTATING]
    hidden += [fn_index(demo, None, "load"), fn_index(demo, None, "select")]
    assert all(demo.fns[i].api_visibility == "private" for i in hidden)
    named = demo.get_api_info()["named_endpoints"]
    assert set(named) == {"/on_ask", "/on_example", "/clear_chat", "/clear_chat_1"}


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_wildcard_host_is_served_under_addresses_and_the_machine_name(host: str) -> None:
    from ui.hosts import HostCheck, allowed_hosts

    check = HostCheck(None, allowed_hosts(host))
    assert check.allows("192.168.1.20:7860") and check.allows("[fe80::1]:7860") and check.allows("localhost")
    assert not check.allows("attacker.example:7860")


def test_a_named_host_is_served_under_that_name_and_the_loopback_names() -> None:
    from ui.hosts import HostCheck, allowed_hosts

    check = HostCheck(None, allowed_hosts("Chat.LAN."))
    assert all(check.allows(h) for h in ("chat.lan:7860", "CHAT.lan", "localhost:7860", "127.0.0.1", "[::1]:7860"))
    assert not any(check.allows(h) for h in ("192.168.1.20:7860", "chat.lan.attacker.example", "", ":7860"))
