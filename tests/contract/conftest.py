"""Blob store implementations under one contract: local, the fake FastDFS (both IP field sizes),
and a real FastDFS when TUCHUANG_TEST_FDFS_TRACKER names its tracker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fastdfs_server import FakeFastDFS
from tuchuang.blobs.fastdfs import FastDFSBlobStore, FastDFSClient, parse_address
from tuchuang.blobs.local import LocalBlobStore

REAL_TRACKER = os.environ.get("TUCHUANG_TEST_FDFS_TRACKER")
REAL_STORE_PATH = os.environ.get("TUCHUANG_TEST_FDFS_STORE_PATH")  # its store_path0, if mounted here


@pytest.fixture
def fake_fdfs(tmp_path: Path) -> Iterator[FakeFastDFS]:
    server = FakeFastDFS(tmp_path / "fdfs")
    yield server
    server.close()


def fastdfs_store(tracker: str, timeout: float = 10.0, store_path: Path | None = None) -> FastDFSBlobStore:
    client = FastDFSClient([parse_address(tracker)], connect_timeout=2.0, timeout=timeout)
    return FastDFSBlobStore(client, store_path)


@pytest.fixture(params=["local", "fastdfs-fake-ip16", "fastdfs-fake-ip46", "fastdfs-fake-2groups", "fastdfs-real"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    kind = request.param
    if kind == "local":
        yield LocalBlobStore(tmp_path / "store")
    elif kind == "fastdfs-fake-2groups":
        # issue 13: the tracker puts uploads in group1 and group2 in turn; each group's storage has
        # its own files; both store paths are mounted here for the listing
        first = FakeFastDFS(tmp_path / "g1", ip_size=46)
        second = FakeFastDFS(tmp_path / "g2", ip_size=46, group="group2", roles=("storage",))
        first.add_group("group2", "127.0.0.1", second.storage_port)
        store = fastdfs_store(first.tracker, store_path=first.root)
        store.store_paths["group2/M00"] = second.root
        yield store
        store.client.close()
        first.close()
        second.close()
    elif kind.startswith("fastdfs-fake"):
        server = FakeFastDFS(tmp_path / "fdfs", ip_size=int(kind[-2:]))
        store = fastdfs_store(server.tracker, store_path=server.root)
        yield store
        store.client.close()
        server.close()
    else:
        if not REAL_TRACKER:
            pytest.skip("real FastDFS tier skipped: TUCHUANG_TEST_FDFS_TRACKER is not set")
        store = fastdfs_store(REAL_TRACKER, store_path=Path(REAL_STORE_PATH) if REAL_STORE_PATH else None)
        yield store
        store.client.close()
