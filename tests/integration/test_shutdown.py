"""Stopping `tuchuang serve` with uploads in flight (issue 10, item 20): Ctrl-C lets them finish,
and a SIGTERM that has to cut one says so in the log."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.client import PWD, qt_upload_body
from tests.integration.test_serve import call, free_port, request


def start(cwd: Path, **settings: str) -> tuple[subprocess.Popen, int]:
    """`tuchuang serve` in `cwd` with TUCHUANG_<name> settings; return it and its port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    env["TUCHUANG_GRACEFUL_TIMEOUT"] = "4"
    env.update({f"TUCHUANG_{k.upper()}": v for k, v in settings.items()})
    cmd = [sys.executable, "-m", "tuchuang.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            request(f"http://127.0.0.1:{port}/healthz", method="GET")
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("tuchuang serve did not start")


def begin_upload(port: int, body: bytes, sent: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(
        f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body[:sent]
    )
    return s


def stderr_of(proc: subprocess.Popen) -> str:
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    return proc.stderr.read().decode(errors="replace")


def rows(cwd: Path) -> list[tuple]:
    with sqlite3.connect(cwd / "tuchuang-data" / "tuchuang.db") as db:
        return db.execute("SELECT user, file_name FROM user_file_list").fetchall()


def test_ctrl_c_lets_an_upload_in_flight_finish(tmp_path: Path) -> None:
    proc, port = start(tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        assert call(base, "/reg", {"userName": "mid", "nickName": "m", "firstPwd": PWD}) == {"code": "002"}
        assert call(base, "/login", {"user": "mid", "pwd": PWD})["code"] == "000"  # the Qt upload's session
        body = qt_upload_body("mid", "late.bin", os.urandom(400_000))
        conn = begin_upload(port, body, 100_000)
        time.sleep(0.5)  # the worker is reading the body
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        time.sleep(0.5)
        conn.sendall(body[100_000:])
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        conn.close()
    finally:
        log = stderr_of(proc)
    assert reply.startswith(b"HTTP/1.1 200"), (reply[:300], log[-3000:])
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1]) == {"code": "008"}, log[-3000:]
    assert "finished during shutdown" in log
    assert rows(tmp_path) == [("mid", "late.bin")]


def test_sigterm_names_an_upload_it_has_to_cut(tmp_path: Path) -> None:
    proc, port = start(tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        assert call(base, "/reg", {"userName": "cut", "nickName": "c", "firstPwd": PWD}) == {"code": "002"}
        assert call(base, "/login", {"user": "cut", "pwd": PWD})["code"] == "000"
        body = qt_upload_body("cut", "never.bin", os.urandom(400_000))
        conn = begin_upload(port, body, 100_000)  # and the rest never comes
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
    finally:
        log = stderr_of(proc)
        conn.close()
    assert "upload(s) in flight" in log and "upload cut before it finished" in log, log[-3000:]
    assert rows(tmp_path) == []
