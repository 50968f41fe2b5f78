"""The embedded server logs an access line per request with its request id (there is no nginx to
do it), in text or, with TUCHUANG_LOG_FORMAT=json, as one JSON object per line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def serve(tmp_path: Path, **env: str) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    base.update(TUCHUANG_DATA_DIR=str(tmp_path / "data"), TUCHUANG_WORKERS="1", **env)
    log = tmp_path / "output.log"
    with open(log, "wb") as err:
        command = [sys.executable, "-m", "tuchuang", "serve", "--port", str(port)]
        proc = subprocess.Popen(command, env=base, stdout=err, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "abcdef0123456789"}
                )
                with urllib.request.urlopen(request, timeout=2) as reply:
                    assert reply.headers["X-Request-Id"] == "abcdef0123456789"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(log.read_text())
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return log.read_text()


def test_an_access_line_with_the_request_id(tmp_path: Path) -> None:
    lines = [line for line in serve(tmp_path).splitlines() if "GET /healthz" in line]
    assert lines and '"GET /healthz HTTP/1.1" 200' in lines[0] and "[abcdef0123456789]" in lines[0], lines


def test_json_lines(tmp_path: Path) -> None:
    out = serve(tmp_path, TUCHUANG_LOG_FORMAT="json").splitlines()
    parsed = [json.loads(line) for line in out if line.strip()]  # every line is JSON
    access = [p for p in parsed if "GET /healthz" in p["message"]]
    assert access and access[0]["logger"] == "gunicorn.access" and "abcdef0123456789" in access[0]["message"]


def test_metrics_add_up_over_the_workers(tmp_path: Path) -> None:
    """Two workers answer; /metrics counts every request once, whichever worker took it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    base.update(TUCHUANG_DATA_DIR=str(tmp_path / "data"), TUCHUANG_WORKERS="2", TUCHUANG_THREADS="2")
    command = [sys.executable, "-m", "tuchuang", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.2)
        pids = set()
        for _ in range(40):  # new connections: both workers take some
            body = json.dumps({"user": "nobody", "pwd": "0" * 32}).encode()
            request = urllib.request.Request(url + "/api/login", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as reply:
                assert json.load(reply)["code"] == 1
            pids.update(p.name for p in (tmp_path / "data" / "metrics").glob("counter_*.db"))
        text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert len(pids) >= 2, pids  # several workers wrote metrics
    line = next(
        ln for ln in text.splitlines() if ln.startswith("tuchuang_requests_total{") and 'endpoint="login"' in ln
    )
    assert float(line.rsplit(" ", 1)[1]) == 40, line
