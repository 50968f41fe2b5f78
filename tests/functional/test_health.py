"""/healthz answers without touching anything; /readyz reports each component."""

from __future__ import annotations

import socket

from tests.client import Client
from tests.conftest import FAST_HASHER
from tuchuang.app import build_services, create_app
from tuchuang.blobs.fastdfs import Address, FastDFSBlobStore, FastDFSClient


def test_live(app) -> None:
    resp = app.web.get("/healthz")
    assert resp.status_int == 200 and resp.json == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_ready_when_everything_answers(app) -> None:
    resp = app.web.get("/readyz")
    assert resp.status_int == 200
    assert resp.json == {"status": "ok", "checks": {"database": "ok", "sessions": "ok", "blobs": "ok"}}


def test_not_ready_when_the_blob_store_is_down(config) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    blobs = FastDFSBlobStore(FastDFSClient([Address("127.0.0.1", port)], 0.5, 1.0))
    services = build_services(config, hasher=FAST_HASHER, blobs=blobs)
    resp = Client(create_app(config, services)).web.get("/readyz", expect_errors=True)
    assert resp.status_int == 503
    assert resp.json["checks"] == {"database": "ok", "sessions": "ok", "blobs": "unavailable"}
    services.store.close()


class HangingBlobs:
    """A blob store whose check hangs until released (a storage that accepts and never answers)."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        import threading

        self.inner = inner
        self.release = threading.Event()
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        self.release.wait(30)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.inner, name)


def test_ready_answers_whatever_hangs_and_names_the_part(config) -> None:
    """Item 18: a hung blob store made /readyz wait 30 s; now it answers while the check still
    hangs, names the part, and repeated probes do not pile up checks."""
    from tuchuang.app import build_blobs

    blobs = HangingBlobs(build_blobs(config))
    services = build_services(config, hasher=FAST_HASHER, blobs=blobs)
    web = Client(create_app(config, services)).web
    try:
        for _ in range(3):
            resp = web.get("/readyz", expect_errors=True)
            assert not blobs.release.is_set()  # answered while the check still hangs
            assert resp.status_int == 503
            assert resp.json["checks"] == {"database": "ok", "sessions": "ok", "blobs": "timeout"}
        assert blobs.checks == 1
        blobs.release.set()
        import time

        for _ in range(100):  # the hung check ends; the next probe runs a fresh one
            resp = web.get("/readyz", expect_errors=True)
            if resp.status_int == 200:
                break
            time.sleep(0.05)
        assert resp.json["checks"]["blobs"] == "ok" and blobs.checks == 2
    finally:
        blobs.release.set()
        services.store.close()
