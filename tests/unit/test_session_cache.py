"""The per-process token memory: positive answers reused for a few seconds, never negative ones."""

from __future__ import annotations

from tuchuang.sessions.cache import CachedSessions


class CountingStore:
    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}
        self.lookups = 0

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        self.sessions[token] = user

    def user_of(self, token: str, now: int) -> str | None:
        self.lookups += 1
        return self.sessions.get(token)

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        return user in self.sessions.values()


def test_positive_answers_are_reused_for_the_window_only() -> None:
    store = CountingStore()
    cache = CachedSessions(store, seconds=5)
    cache.open("alice", "t" * 32, "127.0.0.1", 100, 3600)
    assert cache.user_of("t" * 32, 100) == "alice"
    assert cache.user_of("t" * 32, 104) == "alice"
    assert store.lookups == 1
    del store.sessions["t" * 32]  # the session expired in the store
    assert cache.user_of("t" * 32, 104) == "alice"  # at most 5 s late ...
    assert cache.user_of("t" * 32, 105) is None  # ... then gone
    assert store.lookups == 2


def test_unknown_tokens_are_never_remembered() -> None:
    store = CountingStore()
    cache = CachedSessions(store, seconds=5)
    assert cache.user_of("u" * 32, 100) is None
    store.sessions["u" * 32] = "bob"  # a login right after
    assert cache.user_of("u" * 32, 100) == "bob"


def test_bounded() -> None:
    store = CountingStore()
    cache = CachedSessions(store, seconds=5, max_entries=3)
    for i in range(10):
        store.sessions[f"{i:032d}"] = f"user{i}"
        cache.user_of(f"{i:032d}", 100)
    assert len(cache._known) == 3
    assert cache.user_of(f"{9:032d}", 100) == "user9" and store.lookups == 10  # the newest is kept
