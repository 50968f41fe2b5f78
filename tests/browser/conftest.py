"""Chromium (Debian's package, driven by Playwright) and the app over real HTTP, for the browser
tests and the end-to-end tier's front test."""

from __future__ import annotations

import shutil
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from tuchuang.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def live(config, services):
    """The app over real HTTP on a free loopback port, stopped after the test."""
    server = make_server("127.0.0.1", 0, create_app(config, services), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS, timeout=30_000)
        yield chromium
        chromium.close()
