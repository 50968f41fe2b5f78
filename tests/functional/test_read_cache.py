"""The exact read cache (issue 14, cache/reads.py), on MariaDB + Redis: after a write has answered,
every read answers what the database says, also when a reader ran while the write was committing.

Each case stops a write at its commit (a transaction just before COMMIT; an autocommitted statement
just before it runs), lets a reader read (and cache) meanwhile, then lets the write finish and
compares the next cached read with the database's own answer. With the version bump moved before
the commit, the reader would cache the old rows under the new version, and these tests fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.client import md5_hex
from tests.conftest import FAST_HASHER, clean_mysql, clean_redis
from tuchuang.app import build_services
from tuchuang.config import Config
from tuchuang.db import open_store
from tuchuang.db.migrations import upgrade


class PausingStore:
    """The store, but the next write of the chosen kind stops at its commit until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.kind = ""  # "transaction" or "single": which write stops, once
        self.stopped = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _stop(self, kind: str) -> None:
        if self.kind == kind:
            self.kind = ""
            self.stopped.set()
            assert self.go.wait(10)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.inner.transaction() as tx:
            yield tx
            self._stop("transaction")  # the rows are written, not yet committed

    @contextmanager
    def single(self) -> Iterator[Any]:
        self._stop("single")  # nothing of this statement is in the database yet
        with self.inner.single() as tx:
            yield tx


@pytest.fixture
def world(mysql_url: str, redis_url: str, tmp_path) -> Iterator[tuple[Any, Any, PausingStore]]:  # noqa: ANN001
    prefix = f"tuchuang-test-reads:{time.monotonic_ns()}:"
    clean_mysql(mysql_url)
    config = Config(data_dir=tmp_path / "data", database_url=mysql_url, redis_url=redis_url, redis_prefix=prefix)
    inner = open_store(mysql_url)
    upgrade(inner)
    store = PausingStore(inner)
    cached = build_services(config, store=store, hasher=FAST_HASHER)  # type: ignore[arg-type]
    truth = build_services(config.replace(read_cache=False), store=inner, hasher=FAST_HASHER)
    yield cached, truth, store
    inner.close()
    clean_redis(redis_url, prefix)


def put(services: Any, user: str, name: str, content: bytes, tmp_path) -> str:  # noqa: ANN001
    path = tmp_path / f"{name}.body"
    path.write_bytes(content)
    services.files.store_upload(user, name, md5_hex(content), len(content), path, 0)
    return md5_hex(content)


def race(store: PausingStore, kind: str, write: Callable[[], Any], read: Callable[[], Any]) -> None:
    read()  # cached before the write
    store.kind = kind
    store.stopped.clear()
    store.go.clear()
    writer = threading.Thread(target=write)
    writer.start()
    assert store.stopped.wait(10), "the write never reached its commit"
    read()  # a reader while the write commits: it caches what it sees
    store.go.set()
    writer.join(10)
    assert not writer.is_alive()


READS = {
    "my count": lambda s: s.files.count("alice"),
    "my pages": lambda s: [s.files.page("alice", order, 0, 10) for order in ("normal", "pvasc", "pvdesc")],
    "bob's count": lambda s: s.files.count("bob"),
    "square count": lambda s: s.sharing.count(),
    "square page": lambda s: s.sharing.page(0, 10),
    "ranking": lambda s: s.sharing.ranking(0, 10),
}


@pytest.mark.parametrize(
    ("kind", "write"),
    [
        ("transaction", "upload"),
        ("transaction", "instant upload"),
        ("transaction", "share"),
        ("transaction", "cancel"),
        ("transaction", "save"),
        ("transaction", "delete"),
        ("single", "download count"),
        ("single", "square download count"),
    ],
)
def test_a_reader_during_a_commit_never_leaves_an_old_answer(world, tmp_path, kind: str, write: str) -> None:  # noqa: ANN001
    cached, truth, store = world
    first = put(cached, "alice", "a.txt", b"alice's first", tmp_path)
    shared = put(cached, "alice", "shared.txt", b"alice's shared", tmp_path)
    cached.sharing.share("alice", shared, "shared.txt")
    other = b"stored by bob"
    put(cached, "bob", "b.txt", other, tmp_path)
    writes = {
        "upload": lambda: put(cached, "alice", "new.txt", b"a new content", tmp_path),
        "instant upload": lambda: cached.files.instant_upload("alice", md5_hex(other), "from bob.txt"),
        "share": lambda: cached.sharing.share("alice", first, "a.txt"),
        "cancel": lambda: cached.sharing.cancel("alice", shared, "shared.txt"),
        "save": lambda: cached.sharing.save("bob", shared, "shared.txt"),
        "delete": lambda: cached.files.delete("alice", shared, "shared.txt"),
        "download count": lambda: cached.files.add_pv("alice", first, "a.txt"),
        "square download count": lambda: cached.sharing.add_pv(shared, "shared.txt"),
    }
    race(store, kind, writes[write], lambda: [read(cached) for read in READS.values()])
    # the write has answered: every read must agree with the database
    for what, read in READS.items():
        assert read(cached) == read(truth), (write, what)


@pytest.mark.parametrize("what", list(READS))
def test_each_read_is_exact_through_every_write(world, tmp_path, what: str) -> None:  # noqa: ANN001
    """The same race for each kind of read, against a share and a download count in turn."""
    cached, truth, store = world
    read = READS[what]
    first = put(cached, "alice", "a.txt", b"alice's first", tmp_path)
    race(store, "transaction", lambda: cached.sharing.share("alice", first, "a.txt"), lambda: read(cached))
    assert read(cached) == read(truth)
    race(store, "single", lambda: cached.sharing.add_pv(first, "a.txt"), lambda: read(cached))
    assert read(cached) == read(truth)
    race(store, "single", lambda: cached.files.add_pv("alice", first, "a.txt"), lambda: read(cached))
    assert read(cached) == read(truth)
    race(store, "transaction", lambda: cached.files.delete("alice", first, "a.txt"), lambda: read(cached))
    assert read(cached) == read(truth)


def test_hits_skip_the_database(world, tmp_path) -> None:  # noqa: ANN001
    cached, _, store = world
    put(cached, "alice", "a.txt", b"alice's", tmp_path)
    cached.files.count("alice")
    calls = []
    original = store.inner.read

    @contextmanager
    def counting() -> Iterator[Any]:
        calls.append(1)
        with original() as tx:
            yield tx

    store.inner.read = counting
    try:
        assert cached.files.count("alice") == 1 and cached.sharing.ranking(0, 10) == cached.sharing.ranking(0, 10)
    finally:
        store.inner.read = original
    assert len(calls) <= 2  # the ranking's first read; the count and the second ranking read are hits
