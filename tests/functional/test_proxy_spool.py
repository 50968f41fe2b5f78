"""The nginx upload hand-off: X-Upload-File is believed only from a trusted proxy and only for a
regular file inside TUCHUANG_PROXY_SPOOL_DIR (FASTDFS.md §4); anything else is a failed upload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.client import Client, Dialect, qt_upload_body
from tests.conftest import FAST_HASHER
from tuchuang.app import build_services, create_app

CONTENT = b"\x89PNG handed over by nginx " + os.urandom(5000)


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    path = tmp_path / "nginx-spool"
    (path / "3" / "07").mkdir(parents=True)  # nginx's `client_body_temp_path <dir> 1 2` levels
    return path


@pytest.fixture
def proxied(config, spool_dir):  # noqa: ANN001, ANN201
    """An app told where nginx spools, with one client per source address."""
    cfg = config.replace(proxy_spool_dir=spool_dir, trusted_proxies=("127.0.0.1", "10.9.0.0/16"))
    services = build_services(cfg, hasher=FAST_HASHER)
    app = create_app(cfg, services)
    yield {addr: Client(app, remote_addr=addr) for addr in ("127.0.0.1", "10.9.8.7", "192.0.2.50")}
    services.store.close()


def body_file(directory: Path, user: str, name: str = "photo.png", content: bytes = CONTENT) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"00000000{len(list(directory.iterdir())):02d}"
    path.write_bytes(qt_upload_body(user, name, content))
    path.chmod(0o600)
    return path


def hand_off(client: Client, d: Dialect, path: Path | str, token: str | None = None):  # noqa: ANN201
    headers = {"X-Upload-File": str(path)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.call(d, "/upload", b"", headers=headers)  # nginx sends no body, no Content-Length


def listed(client: Client, d: Dialect, user: str, token: str) -> list[str]:
    return [f["file_name"] for f in client.files(d, user, token)["files"]]


@pytest.mark.parametrize("proxy", ["127.0.0.1", "10.9.8.7"])
def test_trusted_proxy_hands_over_a_spooled_body(proxied, dialect, spool_dir, proxy: str) -> None:
    client = proxied[proxy]
    token = client.user(dialect, "alice")
    path = body_file(spool_dir / "3" / "07", "alice")
    assert hand_off(client, dialect, path, token)["code"] == dialect.code("upload.ok")
    files = client.files(dialect, "alice", token)["files"]
    assert [f["file_name"] for f in files] == ["photo.png"]
    url = files[0]["url"].split("/", 3)[3]
    assert client.web.get("/" + url).body == CONTENT
    assert path.exists()  # nginx removes its own file (`clean`); the app leaves it alone


def test_untrusted_address_is_refused(proxied, dialect, spool_dir) -> None:
    client = proxied["192.0.2.50"]
    token = client.user(dialect, "mallory")
    path = body_file(spool_dir / "3" / "07", "mallory")
    assert hand_off(client, dialect, path, token)["code"] == dialect.code("upload.fail")
    assert listed(client, dialect, "mallory", token) == []


@pytest.mark.parametrize(
    "where",
    ["outside", "dotdot", "symlink-out", "relative", "spool-dir-itself", "directory", "missing", "empty"],
)
def test_trusted_proxy_but_path_not_a_spool_file(proxied, dialect, spool_dir, tmp_path, where: str) -> None:
    client = proxied["127.0.0.1"]
    token = client.user(dialect, "alice")
    outside = body_file(tmp_path / "elsewhere", "alice")  # a valid body, just not in the spool
    paths = {
        "outside": outside,
        "dotdot": f"{spool_dir}/3/07/../../../elsewhere/{outside.name}",
        "relative": f"elsewhere/{outside.name}",
        "spool-dir-itself": spool_dir,
        "directory": spool_dir / "3",
        "missing": spool_dir / "3" / "07" / "0000009999",
    }
    if where == "symlink-out":
        link = spool_dir / "3" / "07" / "0000000042"
        link.symlink_to(outside)
        paths[where] = link
    if where == "empty":
        empty = spool_dir / "3" / "07" / "0000000043"
        empty.write_bytes(b"")
        paths[where] = empty
    assert hand_off(client, dialect, paths[where], token)["code"] == dialect.code("upload.fail")
    assert listed(client, dialect, "alice", token) == []
    assert outside.exists()


def test_header_ignored_unless_a_proxy_spool_dir_is_configured(config, dialect, tmp_path) -> None:
    services = build_services(config, hasher=FAST_HASHER)  # TUCHUANG_PROXY_SPOOL_DIR unset
    client = Client(create_app(config, services))
    token = client.user(dialect, "alice")
    path = body_file(tmp_path / "spool", "alice")
    assert hand_off(client, dialect, path, token)["code"] == dialect.code("upload.fail")
    assert listed(client, dialect, "alice", token) == []
    services.store.close()


def test_body_over_the_maximum_is_refused(config, dialect, spool_dir) -> None:
    cfg = config.replace(proxy_spool_dir=spool_dir, max_upload_bytes=1000)
    services = build_services(cfg, hasher=FAST_HASHER)
    client = Client(create_app(cfg, services))
    token = client.user(dialect, "alice")
    path = body_file(spool_dir / "3" / "07", "alice")
    assert hand_off(client, dialect, path, token)["code"] == dialect.code("upload.fail")
    assert listed(client, dialect, "alice", token) == []
    services.store.close()
