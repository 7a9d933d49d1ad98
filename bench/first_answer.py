"""First against second answer in the browser chat, with and without the background warm-up.

    .venv/bin/python bench/first_answer.py [--model qwen2.5-1.5b] [--cache-dir DIR]

For each mode (``cold``: models load on the first question, as before; ``warm``: the chat's
background warm-up, ``Newsrag.warm_up``, as ``newsrag chat`` now does) a fresh process serves the
chat on 127.0.0.1 over a data directory that already holds the shipped corpus, headless Chromium
opens it, waits ``--think`` seconds (a user reading the page), asks two questions, and times each
from pressing Enter to the checked answer on screen. A fresh process per mode, since models stay
loaded in a process. Prints both side by side with the load average.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = ("Which firms are pooling chip R&D?", "What does Beijing offer startups and universities?")
ANSWERED = "#nr-chat .nr-answer .nr-meta, #nr-chat .nr-abstained, #nr-chat .nr-error"


def serve_and_ask(mode: str, model: str, data_dir: Path, cache_dir: Path | None, think: float,
                  threads: int) -> list[float]:
    """One mode in this process: serve the chat, ask the questions in Chromium, return the times."""
    import socket
    import threading

    from playwright.sync_api import sync_playwright

    from rag.settings import load_settings
    from rag.wiring import build
    from ui.app import create_app, launch_options

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings({}, data_dir=data_dir, cache_dir=cache_dir, model=model, host="127.0.0.1", port=port,
                             n_threads=threads)
    app = build(settings)
    demo = create_app(app, settings)
    if mode == "warm":
        threading.Thread(target=app.warm_up, daemon=True).start()
    demo.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings))
    times = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#nr-question textarea")
            time.sleep(think)
            for n, question in enumerate(QUESTIONS, start=1):
                page.fill("#nr-question textarea", question)
                started = time.monotonic()
                page.press("#nr-question textarea", "Enter")
                page.wait_for_function(f"document.querySelectorAll('{ANSWERED}').length >= {n}", timeout=600_000)
                times.append(time.monotonic() - started)
            browser.close()
    finally:
        demo.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen2.5-1.5b")
    ap.add_argument("--cache-dir", type=Path)
    ap.add_argument("--think", type=float, default=5.0, help="seconds between the page loading and the question")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all cores)")
    ap.add_argument("--one", choices=("cold", "warm"), help=argparse.SUPPRESS)  # a child run
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(" ".join(f"{t:.2f}" for t in serve_and_ask(args.one, args.model, args.data_dir, args.cache_dir,
                                                          args.think, args.threads)))
        return

    from rag.settings import load_settings
    from rag.wiring import build

    data_dir = Path(tempfile.mkdtemp(prefix="newsrag-first-answer-")) / "data"
    build(load_settings({}, data_dir=data_dir, model=args.model, cache_dir=args.cache_dir)).index_shipped_corpus()
    results = {}
    for mode in ("cold", "warm"):
        command = [sys.executable, __file__, "--one", mode, "--model", args.model, "--data-dir", str(data_dir),
                   "--think", str(args.think), "--threads", str(args.threads)] + (["--cache-dir", str(args.cache_dir)] if args.cache_dir else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
        results[mode] = [float(x) for x in out[-2:]]
        print(f"{mode}: {results[mode]} (load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
    print(f"\nbrowser chat, model {args.model}, question asked {args.think:g} s after the page loaded")
    print(f"{'start':>6} {'first answer s':>15} {'second answer s':>16}")
    for mode, (first, second) in results.items():
        print(f"{mode:>6} {first:>15.1f} {second:>16.1f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
