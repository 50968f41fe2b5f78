"""deploy/nginx as shipped, in front of the app (deploy/stack.py): logins and registrations are
limited per address and answered in their dialect, other requests have a generous limit, and a
connection that never finishes its header is closed (issue 10, items 12 and 13)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_serve import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    spec = importlib.util.spec_from_file_location("tuchuang_stack", ROOT / "deploy" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("limits")
    port = free_port()
    args = ["--root", str(root), "--port", str(port), "--app-port", str(free_port()), "--workers", "1"]
    assert module.main(["up", *args]) == 0
    try:
        yield port
    finally:
        module.main(["down", "--root", str(root)])


def post(port: int, path: str, body: dict) -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Retry-After"), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "failure"),
    [("/login", b'{"code":"001","token":"fail"}'), ("/api/login", b'{"code":1}')],
)
def test_logins_are_limited_per_address_in_their_dialect(stack: int, path: str, failure: bytes) -> None:
    time.sleep(6)  # the other dialect's burst has drained (2/s)
    started = time.monotonic()
    answers = [post(stack, path, {"user": "nobody", "pwd": "0" * 32}) for _ in range(30)]
    elapsed = time.monotonic() - started
    assert {status for status, _, _ in answers} == {200}
    assert {body for _, _, body in answers} == {failure}
    by_nginx = [retry for _, retry, _ in answers if retry]
    passed = len(answers) - len(by_nginx)
    assert 10 <= passed <= 10 + 2 * elapsed + 1  # the burst of 10, plus what 2/s refilled meanwhile
    assert by_nginx


def test_a_header_that_never_ends_is_cut(stack: int) -> None:
    with socket.create_connection(("127.0.0.1", stack), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = False
        for n in range(25):
            time.sleep(1)
            try:
                s.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                s.settimeout(0.01)
                closed = s.recv(1024) == b""
                s.settimeout(30)
            except TimeoutError:
                s.settimeout(30)
            except OSError:
                closed = True
            if closed:
                break
    assert closed and time.monotonic() - started < 15  # client_header_timeout 10s
