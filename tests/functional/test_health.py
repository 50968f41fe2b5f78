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
