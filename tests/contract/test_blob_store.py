"""The blob store port's contract, run against every implementation (see conftest)."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from tuchuang.blobs import FILE_ID
from tuchuang.errors import BlobNotFound, InvalidFileId


def source(tmp_path: Path, payload: bytes, head: bytes = b"HEADER--", tail: bytes = b"--TRAILER") -> tuple[Path, int]:
    """A spool-like file: the payload sits between other bytes, as in an upload envelope."""
    path = tmp_path / f"src-{os.urandom(4).hex()}"
    path.write_bytes(head + payload + tail)
    return path, len(head)


def read(store, file_id: str, offset: int = 0, length: int | None = None) -> bytes:  # noqa: ANN001
    return b"".join(store.stream(file_id, offset, length))


def test_put_stores_exactly_the_range(blob_store, tmp_path: Path) -> None:
    payload = os.urandom(300_000)
    path, offset = source(tmp_path, payload)
    file_id = blob_store.put(path, offset, len(payload), "png")
    assert FILE_ID.match(file_id), file_id
    assert file_id.startswith("group1/M00/") and file_id.endswith(".png")
    assert read(blob_store, file_id) == payload
    assert blob_store.stat(file_id).size == len(payload)
    assert blob_store.exists(file_id)


def test_without_extension(blob_store, tmp_path: Path) -> None:
    path, offset = source(tmp_path, b"plain bytes")
    file_id = blob_store.put(path, offset, 11, "")
    assert FILE_ID.match(file_id) and "." not in file_id.rsplit("/", 1)[1]
    assert read(blob_store, file_id) == b"plain bytes"


@pytest.mark.parametrize(
    ("offset", "length"),
    [(0, None), (0, 1), (1, 10), (4095, 2), (99_999, None), (50_000, 50_000), (99_999, 1), (0, 100_000)],
)
def test_ranges(blob_store, tmp_path: Path, offset: int, length: int | None) -> None:
    payload = os.urandom(100_000)
    path, start = source(tmp_path, payload)
    file_id = blob_store.put(path, start, len(payload), "bin")
    end = None if length is None else offset + length
    assert read(blob_store, file_id, offset, length) == payload[offset:end]


@pytest.mark.parametrize("size", [0, 1, 300_000])
def test_a_blob_named_before_its_bytes(blob_store, tmp_path: Path, size: int) -> None:
    """`named`, where a store calls it, gets the returned id while the blob is still empty; the
    bytes follow (FastDFS: an appender file). Any store ends with exactly the range stored."""
    payload = os.urandom(size)
    path, offset = source(tmp_path, payload)
    seen: list[tuple[str, int]] = []
    file_id = blob_store.put(
        path, offset, size, "bin", tag="ab" * 16, named=lambda fid: seen.append((fid, blob_store.stat(fid).size))
    )
    assert seen in ([], [(file_id, 0)])
    assert blob_store.stat(file_id).size == size
    assert read(blob_store, file_id, 0, size) == payload  # (FastDFS cannot fetch an empty file)


def test_zero_length_read_needs_no_fetch(blob_store, tmp_path: Path) -> None:
    path, offset = source(tmp_path, b"")
    file_id = blob_store.put(path, offset, 0, "txt")
    assert blob_store.stat(file_id).size == 0
    assert read(blob_store, file_id, 0, 0) == b""


def test_large_blob_streams_byte_exact(blob_store, tmp_path: Path) -> None:
    payload = os.urandom(9 << 20)
    path, offset = source(tmp_path, payload)
    file_id = blob_store.put(path, offset, len(payload), "mp4")
    digest = hashlib.md5()
    chunks = 0
    for chunk in blob_store.stream(file_id):
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == hashlib.md5(payload).hexdigest()
    assert chunks > 1  # streamed, not returned in one piece


def test_delete(blob_store, tmp_path: Path) -> None:
    path, offset = source(tmp_path, b"to be deleted")
    file_id = blob_store.put(path, offset, 13, "txt")
    keep = blob_store.put(path, offset, 13, "txt")
    blob_store.delete(file_id)
    assert not blob_store.exists(file_id)
    with pytest.raises(BlobNotFound):
        blob_store.stat(file_id)
    with pytest.raises(BlobNotFound):
        read(blob_store, file_id)
    with pytest.raises(BlobNotFound):
        blob_store.delete(file_id)
    assert read(blob_store, keep) == b"to be deleted"  # same content, other id: untouched


def test_unknown_id(blob_store) -> None:
    file_id = "group1/M00/00/00/NoSuchFileAAAAAAAAAAAAAAAAAA.jpg"
    assert not blob_store.exists(file_id)
    for op in (blob_store.stat, blob_store.delete, lambda f: read(blob_store, f)):
        with pytest.raises(BlobNotFound):
            op(file_id)


@pytest.mark.parametrize(
    "file_id",
    [
        "",
        "group1/M00/../../etc/passwd",
        "group1/M00/00/00/../../../x.jpg",
        "/etc/passwd",
        "group1/M00/00/00/name.jpg\x00",
        "group1/M00/zz/00/abcdefgh.jpg",
        "group1/M00/00/00/abcdefgh.toolongext",
    ],
)
def test_malformed_ids_never_touch_a_path_or_socket(blob_store, file_id: str) -> None:
    assert not blob_store.exists(file_id)
    for op in (blob_store.stat, blob_store.delete, lambda f: read(blob_store, f)):
        with pytest.raises(InvalidFileId):
            op(file_id)


def test_abandoned_stream_leaves_the_store_usable(blob_store, tmp_path: Path) -> None:
    payload = os.urandom(3 << 20)
    path, offset = source(tmp_path, payload)
    file_id = blob_store.put(path, offset, len(payload), "bin")
    for _ in range(3):
        stream = iter(blob_store.stream(file_id))
        next(stream)
        getattr(stream, "close", lambda: None)()
        del stream
    assert read(blob_store, file_id, 10, 20) == payload[10:30]
    assert blob_store.stat(file_id).size == len(payload)


def test_concurrent_puts_and_reads(blob_store, tmp_path: Path) -> None:
    results: dict[int, tuple[bytes, str]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            payload = os.urandom(50_000 + i)
            path, offset = source(tmp_path, payload)
            file_id = blob_store.put(path, offset, len(payload), "dat")
            assert read(blob_store, file_id) == payload
            results[i] = (payload, file_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len({file_id for _, file_id in results.values()}) == 12
    for payload, file_id in results.values():
        assert read(blob_store, file_id) == payload


def test_usable_in_a_forked_child(blob_store, tmp_path: Path) -> None:
    """gunicorn forks workers: a child must not share its parent's pooled sockets."""
    path, offset = source(tmp_path, b"parent")
    parent_id = blob_store.put(path, offset, 6, "txt")
    assert read(blob_store, parent_id) == b"parent"  # leaves a pooled socket behind
    child_path, child_offset = source(tmp_path, b"child!")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            child_id = blob_store.put(child_path, child_offset, 6, "txt")
            ok = read(blob_store, child_id) == b"child!" and read(blob_store, parent_id) == b"parent"
            code = 0 if ok else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert read(blob_store, parent_id) == b"parent"  # the parent's pool still works


def test_listing_for_fsck(blob_store, tmp_path: Path) -> None:
    """Stores that can enumerate their blobs (local; FastDFS with its store path mounted)."""
    if getattr(blob_store, "store_path", "local") is None:
        pytest.skip("FastDFS store path not mounted here (TUCHUANG_TEST_FDFS_STORE_PATH)")
    path, offset = source(tmp_path, b"listed")
    first = blob_store.put(path, offset, 6, "txt")
    second = blob_store.put(path, offset, 6, "")
    listed = set(blob_store.file_ids())
    assert {first, second} <= listed
    blob_store.delete(first)
    assert first not in set(blob_store.file_ids())
    assert all(FILE_ID.match(file_id) for file_id in listed)


def test_uploads_land_in_every_group_the_tracker_names(blob_store, tmp_path: Path) -> None:
    """Issue 13: with two groups, the tracker's choice decides; each blob is read back from its own
    group's storage and listed under its own group."""
    groups = {key.split("/")[0] for key in getattr(blob_store, "mounted", dict)()}
    if len(groups) < 2:
        pytest.skip("one group here")
    path, offset = source(tmp_path, b"spread over the groups")
    ids = [blob_store.put(path, offset, 22, "txt") for _ in range(4)]
    assert {file_id.split("/")[0] for file_id in ids} == groups
    for file_id in ids:
        assert read(blob_store, file_id) == b"spread over the groups"
    assert set(ids) <= set(blob_store.file_ids())
    blob_store.delete(ids[1])
    assert not blob_store.exists(ids[1]) and blob_store.exists(ids[0])
