"""Sessions in Redis: `<prefix>session:<sha256>` -> user with a TTL, and a per-user sorted set
of client addresses scored by expiry for the legacy-auth check (DECISIONS.md D4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tuchuang.errors import SessionStoreUnavailable
from tuchuang.sessions import token_hash


@contextmanager
def translate_errors() -> Iterator[None]:
    """Translate redis-py's exceptions into the project's."""
    try:
        yield
    except redis.RedisError as exc:
        raise SessionStoreUnavailable(f"redis: {exc}") from exc


class RedisSessionStore:
    def __init__(self, client: redis.Redis, prefix: str = "tuchuang:") -> None:
        self.redis = client
        self.prefix = prefix

    def _addrs_key(self, user: str) -> str:
        return f"{self.prefix}session-addrs:{user}"

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        addrs = self._addrs_key(user)
        with translate_errors():
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(f"{self.prefix}session:{token_hash(token)}", user, ex=ttl)
            pipe.zremrangebyscore(addrs, "-inf", now)
            pipe.zadd(addrs, {client_addr: now + ttl}, gt=True)
            pipe.expire(addrs, ttl)
            pipe.execute()

    def user_of(self, token: str, now: int) -> str | None:
        with translate_errors():
            value = self.redis.get(f"{self.prefix}session:{token_hash(token)}")
        return None if value is None else value.decode()

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        addrs = self._addrs_key(user)
        with translate_errors():
            if client_addr is None:
                return self.redis.zcount(addrs, f"({now}", "+inf") > 0
            expiry = self.redis.zscore(addrs, client_addr)
        return expiry is not None and expiry > now
