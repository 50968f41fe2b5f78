"""A bounded slowloris against `tuchuang serve` (issue 10, item 13): 40 connections from 20
addresses drip one header line per second; other clients are still answered, and the slow
connections are closed by the server long before they would finish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.integration.test_serve import free_port

DRIP_SECONDS = 20


def test_slow_headers_do_not_take_the_server_down(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    env.update(TUCHUANG_WORKERS="1", TUCHUANG_THREADS="8", TUCHUANG_GRACEFUL_TIMEOUT="2")
    cmd = [sys.executable, "-m", "tuchuang.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    closed_early: list[float] = []
    slow: list[threading.Thread] = []
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "tuchuang serve did not start"
                time.sleep(0.2)

        def drip(source: str) -> None:
            start = time.monotonic()
            try:
                with socket.create_connection(
                    ("127.0.0.1", port), timeout=DRIP_SECONDS, source_address=(source, 0)
                ) as s:
                    s.sendall(b"POST /login HTTP/1.1\r\n")
                    for n in range(DRIP_SECONDS):
                        if stop.wait(1.0):
                            return
                        s.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                        s.settimeout(0.01)
                        try:
                            if s.recv(1) == b"":
                                raise ConnectionResetError
                        except TimeoutError:
                            pass
                        s.settimeout(DRIP_SECONDS)
            except OSError:
                closed_early.append(time.monotonic() - start)

        for n in range(40):
            t = threading.Thread(target=drip, args=(f"127.0.0.{2 + n % 20}",), daemon=True)
            t.start()
            slow.append(t)
        time.sleep(2)
        for _ in range(5):  # another client is answered while the drip goes on
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert resp.read() == b'{"status":"ok"}'
            time.sleep(0.5)
        for t in slow:
            t.join(DRIP_SECONDS + 5)
        assert len(closed_early) == 40
        assert max(closed_early) < DRIP_SECONDS - 5
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
