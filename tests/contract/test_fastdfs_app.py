"""The app on the FastDFS blob store (the fake server): upload, list, ranged download, delete."""

from __future__ import annotations

import io
import os

from PIL import Image

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
    assert client.web.get("/api/thumb/" + file_id, expect_errors=True).status_int == 404  # not a picture
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (1, 2, 3)).save(picture, "PNG")
    assert client.upload(d, "alice", "p.png", picture.getvalue())["code"] == d.code("upload.ok")
    [pic] = [f for f in client.files(d, "alice", token)["files"] if f["file_name"] == "p.png"]
    preview = client.web.get("/api/thumb/" + pic["url"].split("/", 3)[3])  # fetched from the storage
    assert Image.open(io.BytesIO(preview.body)).size == (256, 192)
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


def test_a_storage_dying_mid_write_leaves_nothing_behind(tmp_path, fake_fdfs) -> None:
    """Item 3: FastDFS writes a blob in place, so a storage that dies mid-upload leaves a partial
    file under a valid id. The id is recorded before the bytes go out (an appender file), so the
    partial file is deleted: at once when the storage is back, else by fsck after its grace."""
    from tuchuang.cache import NoRankingCache
    from tuchuang.services.consistency import Fsck

    config = Config(data_dir=tmp_path / "data")
    upgrade(open_store(config.effective_database_url))
    blobs = fastdfs_store(fake_fdfs.tracker, timeout=1.0, store_path=fake_fdfs.root)
    services = build_services(config, hasher=FAST_HASHER, blobs=blobs)
    client = Client(create_app(config, services))
    d = Dialect("api")
    token = client.user(d, "carol")

    def stored() -> list:
        return [p for p in (fake_fdfs.root / "data").rglob("*") if p.is_file()]

    fake_fdfs.faults.die_mid_write = True
    original_delete = blobs.client.delete

    gone: list[str] = []

    def storage_gone(group: str, remote: str) -> None:  # the crash took the storage with it
        fake_fdfs.stop_storage()
        gone.append(remote)
        original_delete(group, remote)

    blobs.client.delete = storage_gone  # type: ignore[method-assign]
    content = os.urandom(300_000)
    assert client.upload(d, "carol", "big.bin", content, token=token)["code"] == d.code("upload.fail")
    [partial] = stored()
    assert 0 < partial.stat().st_size < len(content)  # half of it, under its final name
    fake_fdfs.faults.die_mid_write = False
    if gone:
        fake_fdfs.start_storage()
    blobs.client.delete = original_delete  # type: ignore[method-assign]
    report = Fsck(services.store, blobs, NoRankingCache(), grace_seconds=0).run(repair=True)
    assert stored() == [], [f.line() for f in report.findings]
    assert client.files(d, "carol", token)["files"] == []
    assert client.upload(d, "carol", "big.bin", content, token=token)["code"] == d.code("upload.ok")
    services.store.close()
