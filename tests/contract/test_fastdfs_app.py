"""The app on the FastDFS blob store (the fake server): upload, list, ranged download, delete."""

from __future__ import annotations

import os

from tests.client import Client, Dialect, md5_hex
from tests.conftest import FAST_HASHER
from tests.contract.conftest import fastdfs_store
from tuchuang.app import build_services, create_app
from tuchuang.config import Config
from tuchuang.db import open_store
from tuchuang.db.migrations import upgrade


def test_full_flow_on_fastdfs(tmp_path, fake_fdfs) -> None:
    config = Config(data_dir=tmp_path / "data", blob_store="fastdfs", fdfs_trackers=(fake_fdfs.tracker,))
    upgrade(open_store(config.effective_database_url))
    services = build_services(config, hasher=FAST_HASHER)  # built from the config: FastDFS adapter
    assert type(services.blobs).__name__ == "FastDFSBlobStore"
    client = Client(create_app(config, services))
    d = Dialect("legacy")
    token = client.user(d, "alice")
    content = os.urandom(700_000)
    assert client.upload(d, "alice", "cat.jpg", content)["code"] == d.code("upload.ok")
    [item] = client.files(d, "alice", token)["files"]
    file_id = item["url"].split("/", 3)[3]
    assert fake_fdfs.path_of(file_id).read_bytes() == content  # in the storage's own layout
    assert client.web.get("/" + file_id).body == content
    part = client.web.get("/" + file_id, headers={"Range": "bytes=1000-1999"})
    assert part.status_int == 206 and part.body == content[1000:2000]
    assert client.dealfile(d, "del", "alice", token, md5_hex(content), "cat.jpg")["code"] == d.code("del.ok")
    assert not fake_fdfs.path_of(file_id).exists()
    assert client.web.get("/" + file_id, expect_errors=True).status_int == 404
    services.store.close()


def test_storage_down_is_a_failure_code_and_nothing_is_recorded(tmp_path, fake_fdfs) -> None:
    config = Config(data_dir=tmp_path / "data")
    upgrade(open_store(config.effective_database_url))
    blobs = fastdfs_store(fake_fdfs.tracker, timeout=1.0)
    services = build_services(config, hasher=FAST_HASHER, blobs=blobs)
    client = Client(create_app(config, services))
    d = Dialect("api")
    token = client.user(d, "bob")
    fake_fdfs.stop_storage()
    content = b"never stored"
    assert client.upload(d, "bob", "a.txt", content, token=token)["code"] == d.code("upload.fail")
    assert client.files(d, "bob", token)["files"] == []
    reply = client.call(d, "/md5", {"user": "bob", "token": token, "md5": md5_hex(content), "fileName": "a.txt"})
    assert reply["code"] == d.code("md5.upload")  # no row points at a blob that was never written
    services.store.close()
