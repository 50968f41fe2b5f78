"""How `tuchuang serve` (gunicorn) handles connections: keep-alive after bodies it does not
want, and chunked request bodies. Raw sockets, so nothing hides what goes over the wire."""

from __future__ import annotations

import http.client
import json
import os
import socket

from tests.client import PWD, qt_upload_body
from tests.integration.test_serve import call, server  # noqa: F401 - the fixture

assert server


def read_response(conn: http.client.HTTPConnection, method: str, path: str, body: bytes) -> tuple[dict, str]:
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    assert resp.status == 200, data
    return json.loads(data), resp.getheader("Connection") or ""


def test_oversized_json_body_leaves_the_connection_usable(server) -> None:  # noqa: F811
    """Item 6: a 300 KiB JSON body is refused with the endpoint's code, and the next request on
    the same keep-alive connection gets its answer (gunicorn used to say keep-alive and close)."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        big = json.dumps({"user": "x" * (300 << 10), "pwd": "p"}).encode()
        for _ in range(3):
            reply, connection = read_response(conn, "POST", "/login", big)
            assert reply == {"code": "001", "token": "fail"}
            assert connection.lower() == "keep-alive"
            reply, _ = read_response(conn, "POST", "/api/login", b'{"user":"nobody","pwd":"x"}')
            assert reply == {"code": 1}
    finally:
        conn.close()


def chunked(conn: socket.socket, path: str, body: bytes, piece: int = 7000) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    conn.sendall(head.encode())
    for i in range(0, len(body), piece):
        part = body[i : i + piece]
        conn.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    conn.sendall(b"0\r\n\r\n")
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    head_end = data.index(b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    return data[head_end + 4 :]


def test_chunked_bodies_are_read(server) -> None:  # noqa: F811
    """Item 9: chunked JSON and chunked uploads work on the embedded server (were read as empty)."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    assert call(base, "/reg", {"userName": "chunky", "nickName": "c", "firstPwd": PWD}) == {"code": "002"}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        login = json.loads(chunked(s, "/login", json.dumps({"user": "chunky", "pwd": PWD}).encode()))
    assert login["code"] == "000"
    content = os.urandom(100_000)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        assert json.loads(chunked(s, "/upload", qt_upload_body("chunky", "c.bin", content))) == {"code": "008"}
    listing = call(base, "/api/myfiles?cmd=normal", {"user": "chunky", "token": login["token"], "start": 0, "count": 5})
    assert [f["size"] for f in listing["files"]] == [len(content)]
