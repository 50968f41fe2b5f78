"""Password hashing is bounded (issue 10, item 12): a taken name costs no hash, registrations are
limited per address, and hashes run on a few low-priority threads with a short queue whose
overflow is refused at once."""

from __future__ import annotations

import os
import threading
import time

import pytest
from argon2 import PasswordHasher

from tests.client import PWD, Client, Dialect
from tuchuang.app import build_services, create_app
from tuchuang.services.hashing import Busy, PasswordWork

API = Dialect("api")


class CountingHasher(PasswordHasher):
    """The tests' fast argon2 that counts its hashes, notes its thread's priority, and can be
    held (every hash and verify waits for `release`)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.hashes = 0
        self.priorities: list[tuple[int, int]] = []
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Semaphore(0)

    def _hold(self) -> None:
        tid = threading.get_native_id()
        self.priorities.append((os.sched_getscheduler(tid), os.getpriority(os.PRIO_PROCESS, tid)))
        self.started.release()
        assert self.release.wait(20)

    def hash(self, password, *, salt=None) -> str:  # noqa: ANN001
        self.hashes += 1
        self._hold()
        return super().hash(password, salt=salt)

    def verify(self, hash, password) -> bool:  # noqa: A002, ANN001
        self._hold()
        return super().verify(hash, password)


def wait_until(condition, limit: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


def build(config, hasher, **changes):  # noqa: ANN001, ANN201
    cfg = config.replace(**changes)
    services = build_services(cfg, hasher=hasher)
    return services, Client(create_app(cfg, services))


def test_a_taken_name_costs_no_hash(config, hasher) -> None:  # noqa: ANN001
    services, client = build(config, hasher)
    assert client.register(API, "taken")["code"] == 0
    before = hasher.hashes
    for _ in range(5):
        assert client.register(API, "taken")["code"] == 2
    assert hasher.hashes == before
    services.store.close()


def test_registrations_are_limited_per_address(config, hasher) -> None:  # noqa: ANN001
    services, client = build(config, hasher, registrations_per_addr=3)
    other = Client(create_app(config.replace(registrations_per_addr=3), services), remote_addr="198.51.100.7")
    assert [client.register(API, f"user{n}")["code"] for n in range(4)] == [0, 0, 0, 1]
    assert other.register(API, "elsewhere")["code"] == 0
    services.store.close()


def test_hashing_runs_below_normal_priority(config, hasher) -> None:  # noqa: ANN001
    services, client = build(config, hasher)
    hasher.priorities.clear()  # the start-up hash ran on this thread
    client.register(API, "nice")
    assert client.login(API, "nice")
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert hasher.priorities
    for policy, nice in hasher.priorities:  # the idle class, or at least a higher nice value
        assert policy == os.SCHED_IDLE or nice > own
    services.store.close()


def test_a_full_queue_is_refused_at_once(hasher) -> None:
    work = PasswordWork(hasher, threads=1, waiting=2)
    stored = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("secret")
    hasher.release.clear()
    results: list[bool] = []
    callers = [threading.Thread(target=lambda: results.append(work.verify(stored, "secret"))) for _ in range(3)]
    callers[0].start()
    assert hasher.started.acquire(timeout=10)  # one runs, held
    for t in callers[1:]:
        t.start()
    wait_until(lambda: work._jobs.qsize() == 2)  # two wait
    with pytest.raises(Busy):
        work.verify(stored, "secret")  # returns while the others are still held
    assert not hasher.release.is_set()
    hasher.release.set()
    for t in callers:
        t.join(20)
    assert results == [True, True, True]


def test_a_busy_login_fails_and_is_not_counted(config, hasher) -> None:  # noqa: ANN001
    services, client = build(config, hasher, hash_threads=1, hash_queue=1)
    client.register(API, "busy")
    hasher.started = threading.Semaphore(0)  # forget the hashes so far (start-up, registration)
    hasher.release.clear()
    held = [threading.Thread(target=client.login, args=(API, "busy")) for _ in range(2)]
    held[0].start()
    assert hasher.started.acquire(timeout=10)
    held[1].start()
    wait_until(lambda: services.accounts.passwords._jobs.qsize() == 1)
    failures = services.accounts.throttle.store
    before = failures.get("user:busy", 0, 3600)[0]
    reply = client.post("/api/login", {"user": "busy", "pwd": PWD})
    assert reply.json == {"code": 1}
    assert failures.get("user:busy", 0, 3600)[0] == before  # refused unchecked: not a guess
    hasher.release.set()
    for t in held:
        t.join(20)
    services.store.close()
