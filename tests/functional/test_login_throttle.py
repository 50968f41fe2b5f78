"""D2: failed logins are throttled per user name and per client address, with growing windows;
a throttled login answers the ordinary failure code at once, and unknown names look the same."""

from __future__ import annotations

import time

import pytest

from tests.client import PWD, Client, Dialect
from tests.conftest import FAST_HASHER
from tuchuang.app import build_services, create_app

WRONG = "0" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(config):  # noqa: ANN001, ANN201
    clock = Clock()
    cfg = config.replace(login_max_failures=3, login_max_failures_per_addr=10)
    services = build_services(cfg, hasher=FAST_HASHER, clock=clock)
    app = create_app(cfg, services)
    clients = {addr: Client(app, remote_addr=addr) for addr in ("198.51.100.1", "198.51.100.2", "198.51.100.3")}
    yield clock, clients
    services.store.close()


def login(client: Client, d: Dialect, user: str, pwd: str = PWD) -> bool:
    reply = client.call(d, "/login", {"user": user, "pwd": pwd})
    return reply["code"] == d.code("login.ok")


def test_per_user_window_grows_and_expires(world, dialect) -> None:
    clock, clients = world
    a = clients["198.51.100.1"]
    assert a.register(dialect, "alice")["code"] == dialect.code("reg.ok")
    for _ in range(3):
        assert not login(a, dialect, "alice", WRONG)
    assert not login(a, dialect, "alice")  # the right password, but inside the window (2 s)
    assert not login(clients["198.51.100.2"], dialect, "alice")  # per user name: any address
    clock.now += 2.5
    assert not login(a, dialect, "alice", WRONG)  # 4th failure: the window doubles to 4 s
    clock.now += 3
    assert not login(a, dialect, "alice")
    clock.now += 1.5
    assert login(a, dialect, "alice")  # window over; success clears the user's count
    assert not login(a, dialect, "alice", WRONG)
    assert login(a, dialect, "alice")


def test_refused_at_once_without_verifying(world, dialect) -> None:
    clock, clients = world
    a = clients["198.51.100.1"]
    a.register(dialect, "bob")
    for _ in range(3):
        login(a, dialect, "bob", WRONG)
    started = time.monotonic()
    for _ in range(20):
        assert not login(a, dialect, "bob")
    assert time.monotonic() - started < 5  # no sleeping in the worker (a loose bound, not a benchmark)


def test_per_address(world, dialect) -> None:
    clock, clients = world
    a, b = clients["198.51.100.1"], clients["198.51.100.2"]
    b.register(dialect, "carol")
    for i in range(10):  # spread over many names: no single name reaches its limit
        assert not login(a, dialect, f"victim{i % 5}", WRONG)
    assert not login(a, dialect, "carol")  # this address is throttled, whatever the name
    assert login(b, dialect, "carol")  # another address is not


def test_unknown_and_known_names_are_indistinguishable(world, dialect) -> None:
    clock, clients = world
    a = clients["198.51.100.3"]
    a.register(dialect, "dave")
    replies = {}
    for name in ("dave", "nobody-here"):
        seen = []
        for _ in range(5):
            reply = a.call(dialect, "/login", {"user": name, "pwd": WRONG})
            seen.append(reply)
        clock.now += 1000
        replies[name] = seen
    assert replies["dave"] == replies["nobody-here"]


def test_a_quiet_hour_forgets(world, dialect) -> None:
    clock, clients = world
    a = clients["198.51.100.1"]
    a.register(dialect, "erin")
    for _ in range(2):
        login(a, dialect, "erin", WRONG)
    clock.now += 3601
    for _ in range(2):  # 2 fresh failures, not 4: still below the limit of 3
        login(a, dialect, "erin", WRONG)
    assert login(a, dialect, "erin")


def test_parallel_guesses_cannot_outrun_the_limit(config) -> None:  # noqa: ANN001
    """48 wrong guesses at once got 17-20 password checks for a limit of 5 in the review."""
    import threading

    # a queue for every guess: this is about the throttle, not about refusing when hashing is busy
    cfg = config.replace(login_max_failures=5, login_max_failures_per_addr=1000, db_pool_size=16, hash_queue=64)
    services = build_services(cfg, hasher=FAST_HASHER)
    client = Client(create_app(cfg, services))
    client.register(Dialect("api"), "target")
    checks = []
    original = services.accounts.passwords._verify

    def counted(stored: str, pwd: str) -> bool:
        checks.append(1)
        return original(stored, pwd)

    services.accounts.passwords._verify = counted  # type: ignore[method-assign]
    barrier = threading.Barrier(48)

    def guess() -> None:
        barrier.wait()
        try:
            services.accounts.login("target", WRONG, "203.0.113.9")
        except Exception:  # noqa: BLE001 - refusals and throttling both raise
            pass

    threads = [threading.Thread(target=guess) for _ in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    services.store.close()
    assert len(checks) == 5


def test_padded_or_folded_names_are_not_another_way_in(world) -> None:  # noqa: ANN001
    """utf8mb4_bin pads: 'alice   ' logged in as alice while alice was locked (MariaDB)."""
    clock, clients = world
    d = Dialect("api")
    c = clients["198.51.100.1"]
    assert c.register(d, "alice")["code"] == 0
    for _ in range(3):
        assert not login(c, d, "alice", WRONG)
    assert not login(c, d, "alice")  # locked
    for variant in ("alice ", "alice   ", "alice\t", "ALICE"):
        assert not login(clients["198.51.100.2"], d, variant), repr(variant)
    clock.now += 3
    assert login(clients["198.51.100.2"], d, "alice")


def test_names_compare_byte_for_byte_in_the_database(services) -> None:  # noqa: ANN001
    with services.store.transaction() as tx:
        tx.insert_user("bob", "nick-bob", "x", "", "", "2026-01-01 00:00:00")
    with services.store.read() as tx:
        assert tx.user_exists("bob")
        assert not tx.user_exists("bob  ")  # no padding (MySQL: a no-pad collation)
