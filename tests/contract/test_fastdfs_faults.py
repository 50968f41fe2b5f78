"""A misbehaving FastDFS ends every call in the project's error within the timeout: no hang, no spin.

FASTDFS.md §1 lists what the PyPI clients do instead (exit the process, spin on EOF forever).
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.contract.conftest import fastdfs_store
from tests.fakes.fastdfs_server import FakeFastDFS
from tuchuang.blobs.fastdfs import Address, FastDFSBlobStore, FastDFSClient, parse_address
from tuchuang.errors import BlobNotFound, StorageUnavailable

TIMEOUT = 1.0
BOUND = 2 * TIMEOUT + 2.0  # a tracker query and a storage call may each wait once, plus slack


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeFastDFS]:
    fake = FakeFastDFS(tmp_path / "fdfs")
    yield fake
    fake.close()


@pytest.fixture
def store(server: FakeFastDFS) -> Iterator[FastDFSBlobStore]:
    blobs = fastdfs_store(server.tracker, timeout=TIMEOUT)
    yield blobs
    blobs.client.close()


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "payload"
    path.write_bytes(b"x" * 200_000)
    return path


def ends_in(error: type[Exception], call: Callable[[], object]) -> float:
    """Run `call`, expect `error`; return the wall time, checking no CPU was burnt waiting."""
    wall, cpu = time.monotonic(), time.process_time()
    with pytest.raises(error):
        call()
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    assert wall < BOUND, f"took {wall:.1f}s"
    assert cpu < 0.5 + wall / 4, f"busy loop: {cpu:.2f}s of CPU in {wall:.2f}s"
    return wall


def drain(store: FastDFSBlobStore, file_id: str) -> bytes:
    return b"".join(store.stream(file_id))


@pytest.mark.parametrize("status", [errno.ENOENT, errno.ENOSPC, errno.EIO])
def test_upload_error_status_is_unavailable(server, store, payload, status: int) -> None:
    server.faults.upload_status = status  # ENOENT here means "no active storage", not a missing file
    ends_in(StorageUnavailable, lambda: store.put(payload, 0, 1000, "jpg"))
    server.faults.upload_status = 0
    file_id = store.put(payload, 0, 1000, "jpg")  # the error reply left the socket in step
    assert drain(store, file_id) == b"x" * 1000


def test_tracker_refusing_is_unavailable_not_missing(server, store, payload) -> None:
    file_id = store.put(payload, 0, 10, "")
    server.faults.tracker_status = errno.ENOENT
    ends_in(StorageUnavailable, lambda: store.stat(file_id))
    ends_in(StorageUnavailable, lambda: store.delete(file_id))
    server.faults.tracker_status = 0
    assert store.exists(file_id)


def test_close_mid_download(server, store, payload) -> None:
    file_id = store.put(payload, 0, 200_000, "bin")
    server.faults.close_mid_download = True
    ends_in(StorageUnavailable, lambda: drain(store, file_id))
    server.faults.close_mid_download = False
    assert drain(store, file_id) == b"x" * 200_000


def test_close_instead_of_upload_reply(server, store, payload) -> None:
    server.faults.close_mid_upload_reply = True
    ends_in(StorageUnavailable, lambda: store.put(payload, 0, 5000, "jpg"))
    server.faults.close_mid_upload_reply = False
    assert drain(store, store.put(payload, 0, 5, "jpg")) == b"xxxxx"


@pytest.mark.parametrize("op", ["put", "stat", "stream", "delete"])
def test_stalled_storage_times_out(server, store, payload, op: str) -> None:
    file_id = store.put(payload, 0, 100, "bin")
    server.faults.stall = True
    calls = {
        "put": lambda: store.put(payload, 0, 100, "bin"),
        "stat": lambda: store.stat(file_id),
        "stream": lambda: drain(store, file_id),
        "delete": lambda: store.delete(file_id),
    }
    wall = ends_in(StorageUnavailable, calls[op])
    assert wall >= TIMEOUT * 0.9  # it did wait for the storage, then gave up
    server.faults.stall = False
    assert drain(store, file_id) == b"x" * 100


def test_garbage_reply(server, store, payload) -> None:
    file_id = store.put(payload, 0, 100, "bin")
    server.faults.garbage_reply = True
    ends_in(StorageUnavailable, lambda: store.stat(file_id))
    ends_in(StorageUnavailable, lambda: drain(store, file_id))
    server.faults.garbage_reply = False
    assert store.stat(file_id).size == 100


def test_tracker_restart_reconnects(server, store, payload) -> None:
    file_id = store.put(payload, 0, 100, "bin")  # leaves a pooled tracker socket
    server.restart_tracker()
    assert store.stat(file_id).size == 100
    assert drain(store, store.put(payload, 0, 7, "bin")) == b"x" * 7


def test_tracker_down_then_back(server, store, payload) -> None:
    file_id = store.put(payload, 0, 100, "bin")
    server.stop_tracker()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.tracker_port)) != 0
    ends_in(StorageUnavailable, lambda: store.stat(file_id))
    server.start_tracker()
    assert store.stat(file_id).size == 100  # resumes by itself, same client


def test_second_tracker_takes_over(server, payload) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = unused.getsockname()[1]  # nothing listens once this socket closes
    client = FastDFSClient([Address("127.0.0.1", dead), parse_address(server.tracker)], 0.5, TIMEOUT)
    store = FastDFSBlobStore(client)
    try:
        for _ in range(4):  # the rotation starts at each tracker in turn
            file_id = store.put(payload, 0, 10, "")
            assert drain(store, file_id) == b"x" * 10
    finally:
        client.close()


def test_storage_unreachable(server, store, payload) -> None:
    file_id = store.put(payload, 0, 10, "")
    server.stop_storage()
    ends_in(StorageUnavailable, lambda: store.stat(file_id))
    ends_in(StorageUnavailable, lambda: store.put(payload, 0, 10, ""))
    assert not isinstance(StorageUnavailable(), BlobNotFound)


def test_unroutable_tracker_connect_timeout(payload) -> None:
    """A tracker that never answers the SYN: the connect timeout bounds the wait."""
    client = FastDFSClient([Address("10.255.255.1", 22122)], connect_timeout=0.5, timeout=TIMEOUT)
    ends_in(StorageUnavailable, lambda: FastDFSBlobStore(client).put(payload, 0, 10, ""))


def retrying_store(server: FakeFastDFS, seconds: float) -> FastDFSBlobStore:
    return FastDFSBlobStore(FastDFSClient([parse_address(server.tracker)], 0.5, TIMEOUT, retry_seconds=seconds))


def test_upload_waits_for_a_restarted_tracker_to_learn_its_storage(server, payload) -> None:
    """Item 18: after a tracker restart it answers "no storage" (ENOENT) until the storage reports
    again; an upload waits for that (bounded) instead of failing."""
    import threading

    store = retrying_store(server, 5.0)
    try:
        server.restart_tracker()
        server.faults.tracker_status = errno.ENOENT
        threading.Timer(1.0, lambda: setattr(server.faults, "tracker_status", 0)).start()
        file_id = store.put(payload, 0, 10, "")
        assert drain(store, file_id) == b"x" * 10
    finally:
        store.client.close()


def test_upload_waits_for_a_restarting_storage(server, payload) -> None:
    import threading

    store = retrying_store(server, 5.0)
    try:
        server.stop_storage()
        threading.Timer(1.0, server.start_storage).start()
        assert drain(store, store.put(payload, 0, 10, "")) == b"x" * 10
    finally:
        store.client.close()


def test_upload_retries_end_within_their_bound(server, payload) -> None:
    store = retrying_store(server, 1.5)
    try:
        server.faults.tracker_status = errno.ENOENT
        ends_in(StorageUnavailable, lambda: store.put(payload, 0, 10, ""))
        server.faults.tracker_status = 0
        server.faults.stall = True  # the body went out: never sent twice, one timeout and done
        ends_in(StorageUnavailable, lambda: store.put(payload, 0, 10, ""))
    finally:
        store.client.close()


def test_uploads_go_to_the_last_storage_named_while_no_tracker_names_one(server, payload) -> None:
    """Item 18: a restarted tracker knows no storage until the storage's next heartbeat (30 s by
    default); the storage itself still takes uploads, so they go to the one named last."""
    store = retrying_store(server, 0.0)  # no waiting: this is not the retry
    try:
        store.put(payload, 0, 10, "")
        server.restart_tracker()
        server.faults.tracker_status = errno.ENOENT
        file_id = store.put(payload, 0, 20, "")
        assert server.path_of(file_id).read_bytes() == b"x" * 20
        fresh = retrying_store(server, 0.0)  # a client that never heard of a storage cannot
        ends_in(StorageUnavailable, lambda: fresh.put(payload, 0, 10, ""))
        fresh.client.close()
    finally:
        store.client.close()
