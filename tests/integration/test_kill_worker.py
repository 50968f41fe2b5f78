"""A worker killed with SIGKILL in the middle of uploads leaves no row without its blob.

`tuchuang serve` with one worker; each round sends a whole upload and kills the worker a few
milliseconds later, so the kills land while spooling, verifying, storing the blob or committing.
The master starts a new worker each time. Afterwards `fsck` may find blobs whose rows were never
committed (left for its grace period) and spool files of killed requests, but nothing worse.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.client import PWD, qt_upload_body
from tests.integration.test_serve import free_port
from tuchuang.blobs.local import LocalBlobStore
from tuchuang.cache import NoRankingCache
from tuchuang.db import open_store
from tuchuang.services.consistency import Fsck

ROUNDS = 12
SIZE = 6 << 20


def post(base: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def wait_for_worker(base: str, master: int, not_pid: int | None, limit: float = 30) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pids = [p for p in worker_pids(master) if p != not_pid]
        if pids:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
                    if resp.status == 200:
                        return pids[0]
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("no worker came back")


def test_sigkill_mid_upload_leaves_no_row_without_blob(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    env["TUCHUANG_LEGACY_AUTH"] = "open"  # the kills are the point here, not the auth policy
    cmd = [sys.executable, "-m", "tuchuang.cli", "serve", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(7)
    try:
        worker = wait_for_worker(base, proc.pid, None)
        assert post(base, "/reg", {"userName": "kim", "nickName": "kim", "firstPwd": PWD}) == {"code": "002"}
        token = post(base, "/login", {"user": "kim", "pwd": PWD})["token"]
        for i in range(ROUNDS):
            body = qt_upload_body("kim", f"k{i}.bin", rng.randbytes(SIZE))
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                head = f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                sock.sendall(head + body)
                time.sleep(rng.choice((0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15)))
                os.kill(worker, signal.SIGKILL)
            worker = wait_for_worker(base, proc.pid, worker)
        # The server works on: one more upload goes through whole.
        final = rng.randbytes(1000)
        req = urllib.request.Request(base + "/upload", data=qt_upload_body("kim", "final.bin", final))
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert json.loads(resp.read()) == {"code": "008"}
        listing = post(base, "/myfiles?cmd=normal", {"user": "kim", "token": token, "start": 0, "count": 100})
        for item in listing["files"]:  # whatever was recorded downloads whole
            with urllib.request.urlopen(item["url"], timeout=30) as resp:
                assert hashlib.md5(resp.read()).hexdigest() == item["md5"]
        assert "final.bin" in [item["file_name"] for item in listing["files"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()

    data = tmp_path / "tuchuang-data"
    store = open_store(f"sqlite:///{data / 'tuchuang.db'}")
    report = Fsck(store, LocalBlobStore(data / "storage"), NoRankingCache(), spool_dir=data / "spool").run()
    store.close()
    kinds = {f.kind for f in report.findings}
    assert kinds <= {"orphan-blob", "unfinished-upload", "stale-spool"}, [f.line() for f in report.findings]


class KillAfterPut(LocalBlobStore):
    """A blob store whose process dies by SIGKILL right after a blob is written."""

    def put(self, source: Path, offset: int, length: int, ext: str, tag: str = "", named=None) -> str:  # noqa: ANN001
        file_id = super().put(source, offset, length, ext, tag, named)
        os.kill(os.getpid(), signal.SIGKILL)
        return file_id  # never reached


def test_sigkill_between_blob_and_row(tmp_path: Path) -> None:
    """The worst moment, made exact: the blob is written and the row not yet committed."""
    from tests.conftest import FAST_HASHER
    from tuchuang.app import build_services
    from tuchuang.config import Config
    from tuchuang.db.migrations import upgrade

    config = Config(data_dir=tmp_path / "data", legacy_auth="open")
    store = open_store(config.effective_database_url)
    upgrade(store)
    store.close()
    spool = tmp_path / "body"
    spool.write_bytes(b"x" * 5000)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child dies inside put()
        try:
            services = build_services(config, hasher=FAST_HASHER, blobs=KillAfterPut(config.effective_store_path))
            services.files.store_upload("kim", "a.bin", hashlib.md5(b"x" * 5000).hexdigest(), 5000, spool, 0)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    store = open_store(config.effective_database_url)
    blobs = LocalBlobStore(config.effective_store_path)
    report = Fsck(store, blobs, NoRankingCache(), grace_seconds=0).run(repair=True)
    store.close()
    assert [(f.kind, f.repaired) for f in report.findings] == [("orphan-blob", True)]  # a blob, never a row
    assert list(blobs.file_ids()) == []
