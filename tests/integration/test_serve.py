"""`tuchuang serve` from a fresh directory with no configuration, driven over real HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.client import PWD, qt_upload_body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body: bytes | None = None, method: str = "POST") -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


@pytest.fixture
def server(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    cmd = [sys.executable, "-m", "tuchuang.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            request(base + "/login", b"{}")
            break
        except urllib.error.HTTPError:
            break  # any HTTP answer means it is up
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read().decode())
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("tuchuang serve did not answer within 20 s")
    yield base, tmp_path
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def call(base: str, path: str, body: dict | bytes) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, raw = request(base + path, data)
    assert status == 200
    return json.loads(raw)


def test_full_flow_over_http(server):
    base, cwd = server
    assert call(base, "/reg", {"userName": "kevin", "nickName": "kev", "firstPwd": PWD}) == {"code": "002"}
    token = call(base, "/login", {"user": "kevin", "pwd": PWD})["token"]
    content = os.urandom(300_000)
    digest = hashlib.md5(content).hexdigest()
    md5_req = {"fileName": "photo 1.jpg", "md5": digest, "token": token, "user": "kevin"}
    assert call(base, "/md5", md5_req) == {"code": "007"}
    assert call(base, "/upload", qt_upload_body("kevin", "photo 1.jpg", content)) == {"code": "008"}
    listing = call(base, "/api/myfiles?cmd=normal", {"user": "kevin", "token": token, "start": 0, "count": 10})
    assert listing["total"] == 1
    url = listing["files"][0]["url"]
    assert url.startswith(base + "/group1/M00/")
    status, body = request(url, method="GET")
    assert status == 200 and body == content
    deal = {"user": "kevin", "token": token, "md5": digest, "filename": "photo 1.jpg"}
    assert call(base, "/api/dealfile?cmd=pv", deal) == {"code": 0}
    assert (
        call(base, "/api/myfiles?cmd=normal", {"user": "kevin", "token": token, "start": 0, "count": 1})["files"][0][
            "pv"
        ]
        == 1
    )
    assert call(base, "/dealfile?cmd=del", deal) == {"code": "013"}
    assert call(base, "/api/myfiles?cmd=count", {"user": "kevin", "token": token}) == {"code": 0, "total": 0}
    with pytest.raises(urllib.error.HTTPError) as gone:
        request(url, method="GET")
    assert gone.value.code == 404
    # everything lives in ./tuchuang-data of the working directory
    assert (cwd / "tuchuang-data" / "tuchuang.db").is_file()
    assert (cwd / "tuchuang-data" / "storage" / "data").is_dir()
