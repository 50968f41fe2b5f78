"""nginx asks the app before it takes an upload's body (issue 10, item 14): a client with no
session, or with a dead token, gets the failure code at once and nginx spools nothing.

The refused client connects from 127.0.0.2 (an address with no session), which loopback allows."""

from __future__ import annotations

import json
import os
import socket
from urllib.parse import urlsplit

from tests.client import Dialect, qt_upload_body
from tests.e2e.conftest import E2E_URL, Http, new_user

BIG = 300 << 20  # declared, never sent


def open_upload(source: str, path: str, head: bytes, headers: str = "") -> socket.socket:
    parts = urlsplit(E2E_URL)
    s = socket.create_connection((parts.hostname, parts.port or 80), timeout=5, source_address=(source, 0))
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG}\r\n{headers}\r\n".encode() + head)
    return s


def answer(s: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
    while len(body) < length:
        body += s.recv(65536)
    return head.split(b"\r\n")[0], body[:length]


def test_a_client_with_no_session_spools_nothing(web: Http) -> None:
    user, _ = new_user(web, Dialect("legacy"), "gate")  # logged in from the test's address, not 127.0.0.2
    head = qt_upload_body(user, "big.bin", os.urandom(70_000))[:70_000]
    with open_upload("127.0.0.2", "/upload", head) as s:
        status, body = answer(s)  # without the rest of the 300 MiB
    assert status.startswith(b"HTTP/1.1 200") and json.loads(body) == {"code": "009"}


def test_a_dead_token_spools_nothing(web: Http) -> None:
    with open_upload("127.0.0.1", "/api/upload", b"", f"Authorization: Bearer {'0' * 32}\r\n") as s:
        status, body = answer(s)
    assert status.startswith(b"HTTP/1.1 200") and json.loads(body) == {"code": 1}


def test_a_client_with_a_session_uploads(web: Http) -> None:
    here = web
    d = Dialect("legacy")
    user, _ = new_user(here, d, "gated")
    content = os.urandom(50_000)
    assert here.call("/upload", qt_upload_body(user, "ok.bin", content)) == {"code": "008"}
