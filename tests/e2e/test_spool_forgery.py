"""Requests sent straight to gunicorn with a forged X-Upload-File are refused (FASTDFS.md §4).

Needs the app's own address and nginx's spool directory on this host:
TUCHUANG_E2E_APP_URL and TUCHUANG_E2E_PROXY_SPOOL_DIR (`deploy/stack.py up` prints both). The
deployment must trust only TUCHUANG_E2E_TRUSTED_PEER as a proxy (default 127.0.0.1: the stack);
requests from TUCHUANG_E2E_UNTRUSTED_PEER (default 127.0.0.2) must be refused. An untrusted peer
off loopback (compose: the suite runs in nginx's network namespace) is added to the interface
that holds the trusted one for these tests, and removed after them.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import Dialect, qt_upload_body
from tests.e2e.conftest import Http, new_user

APP_URL = os.environ.get("TUCHUANG_E2E_APP_URL")
SPOOL = os.environ.get("TUCHUANG_E2E_PROXY_SPOOL_DIR")
TRUSTED = os.environ.get("TUCHUANG_E2E_TRUSTED_PEER", "127.0.0.1")
UNTRUSTED = os.environ.get("TUCHUANG_E2E_UNTRUSTED_PEER", "127.0.0.2")
pytestmark = pytest.mark.skipif(
    not (APP_URL and SPOOL), reason="needs TUCHUANG_E2E_APP_URL and TUCHUANG_E2E_PROXY_SPOOL_DIR"
)
API = Dialect("api")


@pytest.fixture(scope="module", autouse=True)
def untrusted_peer() -> Iterator[None]:
    if ipaddress.ip_address(UNTRUSTED).is_loopback:
        yield
        return
    shown = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    [device] = [line.split()[1] for line in shown.splitlines() if f" {TRUSTED}/" in line]
    subprocess.run(["ip", "addr", "add", f"{UNTRUSTED}/32", "dev", device], check=True)
    try:
        yield
    finally:
        subprocess.run(["ip", "addr", "del", f"{UNTRUSTED}/32", "dev", device], check=False)


def body_file(directory: Path, user: str, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"forged-{uuid.uuid4().hex}"
    path.write_bytes(qt_upload_body(user, "stolen.txt", content))
    path.chmod(0o644)  # readable by the app whatever user it runs as: only the policy may refuse
    return path


def forged(peer: str, path: Path | str, token: str) -> dict:
    app = Http(APP_URL, source_address=(peer, 0))
    headers = {"X-Upload-File": str(path), "Authorization": f"Bearer {token}"}
    return app.call("/api/upload", b"", headers)


def names(web: Http, user: str, token: str) -> list[str]:
    body = {"user": user, "token": token, "start": 0, "count": 10}
    return [f["file_name"] for f in web.call("/api/myfiles?cmd=normal", body)["files"]]


@pytest.fixture
def account(web):  # noqa: ANN201
    return new_user(web, API, "forge")


def test_trusted_proxy_with_a_spool_file_is_accepted(web, account) -> None:
    """The control: what nginx does, done by hand, works — so the refusals below are the policy."""
    user, token = account
    path = body_file(Path(SPOOL), user, b"handed over properly")
    try:
        assert forged(TRUSTED, path, token) == {"code": 0}
    finally:
        path.unlink()
    assert names(web, user, token) == ["stolen.txt"]


def test_untrusted_peer_is_refused(web, account) -> None:
    user, token = account
    path = body_file(Path(SPOOL), user, b"from an untrusted address")
    try:
        assert forged(UNTRUSTED, path, token) == {"code": 1}
    finally:
        path.unlink()
    assert names(web, user, token) == []


@pytest.mark.parametrize("how", ["outside", "dotdot"])
def test_path_outside_the_spool_is_refused(web, account, tmp_path, how: str) -> None:
    user, token = account
    tmp_path.chmod(0o755)
    path = body_file(tmp_path / "elsewhere", user, b"a file the app can read")
    named = path if how == "outside" else f"{SPOOL}/../../../../../../..{path}"
    assert forged(TRUSTED, named, token) == {"code": 1}
    assert forged(TRUSTED, "/etc/passwd", token) == {"code": 1}
    assert names(web, user, token) == []
