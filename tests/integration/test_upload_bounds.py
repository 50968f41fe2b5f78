"""Uploads are refused before their bodies where what came first already fails, and one client
address cannot run more than a few at once (issue 10, item 14). Over real sockets against
`tuchuang serve`: the point is what the server reads, and when it answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.client import PWD, qt_upload_body
from tests.integration.test_serve import call
from tests.integration.test_shutdown import start

BIG = 300 << 20  # declared, never sent


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201
    proc, port = start(tmp_path, uploads_per_addr="2", workers="1")  # the bound is per worker
    base = f"http://127.0.0.1:{port}"
    assert call(base, "/reg", {"userName": "owner", "nickName": "o", "firstPwd": PWD}) == {"code": "002"}
    assert call(base, "/reg", {"userName": "idle", "nickName": "i", "firstPwd": PWD}) == {"code": "002"}
    token = call(base, "/login", {"user": "owner", "pwd": PWD})["token"]
    yield port, token
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def open_upload(port: int, path: str, head: bytes, headers: str = "") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG}\r\n{headers}\r\n".encode() + head)
    return s


def answer(s: socket.socket) -> dict:
    """The reply, read without sending any more of the body (a 5 s timeout fails the test)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1][: _length(data)])


def _length(data: bytes) -> int:
    head = data.split(b"\r\n\r\n", 1)[0].decode().lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":")[1])
    return 1 << 30


def qt_head(user: str) -> bytes:
    return qt_upload_body(user, "big.bin", os.urandom(70_000))[:70_000]


def test_a_user_without_a_session_is_refused_after_the_envelope(served) -> None:
    port, _ = served
    with open_upload(port, "/upload", qt_head("idle")) as s:  # registered, never logged in
        assert answer(s) == {"code": "009"}


def test_a_dead_token_is_refused_before_the_body(served) -> None:
    port, _ = served
    with open_upload(port, "/api/upload", b"", f"Authorization: Bearer {'0' * 32}\r\n") as s:
        assert answer(s) == {"code": 1}


def test_uploads_per_address_are_bounded(served) -> None:
    port, token = served
    running = [open_upload(port, "/upload", qt_head("owner")) for _ in range(2)]  # and they stall
    time.sleep(1.0)  # both are being read (holding their slots) before the third arrives
    try:
        with open_upload(port, "/upload", qt_head("owner")) as third:
            assert answer(third) == {"code": "009"}
    finally:
        for s in running:
            s.close()


def test_a_full_spool_disk_refuses_before_the_body(tmp_path: Path) -> None:
    proc, port = start(tmp_path, spool_min_free="1000000G")
    try:
        with open_upload(port, "/upload", b"") as s:
            assert answer(s) == {"code": "009"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
