"""Sessions in Redis: `<prefix>session:<sha256>` -> user with a TTL, a per-user sorted set of
client addresses scored by expiry for the legacy-auth check (DECISIONS.md D4), and a per-user hash
of each session's address and expiry, so a logout can take its address back."""

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


# Atomically: end the session, forget expired ones, and take its address out of the user's set
# unless another live session of the user comes from it too.
_CLOSE = """
redis.call('DEL', KEYS[1])
local mine = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if not mine then return 0 end
local addr = string.match(mine, '^%d+ (.*)$')
local rest = redis.call('HGETALL', KEYS[2])
for i = 1, #rest, 2 do
  local expiry, other = string.match(rest[i + 1], '^(%d+) (.*)$')
  if tonumber(expiry) <= tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[2], rest[i])
  elseif other == addr then
    return 1
  end
end
redis.call('ZREM', KEYS[3], addr)
return 1
"""


class RedisSessionStore:
    def __init__(self, client: redis.Redis, prefix: str = "tuchuang:") -> None:
        self.redis = client
        self.prefix = prefix
        self._close = client.register_script(_CLOSE)

    def _addrs_key(self, user: str) -> str:
        return f"{self.prefix}session-addrs:{user}"

    def _sessions_key(self, user: str) -> str:
        return f"{self.prefix}sessions-of:{user}"

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        addrs = self._addrs_key(user)
        with translate_errors():
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(f"{self.prefix}session:{token_hash(token)}", user, ex=ttl)
            pipe.zremrangebyscore(addrs, "-inf", now)
            pipe.zadd(addrs, {client_addr: now + ttl}, gt=True)
            pipe.expire(addrs, ttl)
            pipe.set(self._from_key(client_addr), 1, ex=ttl)  # each login renews it: the latest expiry
            pipe.hset(self._sessions_key(user), token_hash(token), f"{now + ttl} {client_addr}")
            pipe.expire(self._sessions_key(user), ttl)
            pipe.execute()

    def close(self, user: str, token: str, now: int) -> None:
        keys = [f"{self.prefix}session:{token_hash(token)}", self._sessions_key(user), self._addrs_key(user)]
        with translate_errors():
            self._close(keys=keys, args=[token_hash(token), now])

    def _from_key(self, client_addr: str) -> str:
        return f"{self.prefix}session-from:{client_addr}"

    def any_session_from(self, client_addr: str, now: int) -> bool:
        with translate_errors():
            return bool(self.redis.exists(self._from_key(client_addr)))

    def user_of(self, token: str, now: int) -> str | None:
        with translate_errors():
            value = self.redis.get(f"{self.prefix}session:{token_hash(token)}")
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        addrs = self._addrs_key(user)
        with translate_errors():
            if client_addr is None:
                return self.redis.zcount(addrs, f"({now}", "+inf") > 0
            expiry = self.redis.zscore(addrs, client_addr)
        return expiry is not None and expiry > now


# Atomically: forget a stale count, count one attempt, let Redis drop the key when quiet, and
# return the new count with the time of the attempt before it.
_ADD_FAILURE = """
local last = redis.call('HGET', KEYS[1], 'last')
if last and tonumber(last) < tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]); last = false end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {failures, tonumber(last or '0')}
"""
_UNDO_FAILURE = """
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures > 0 then redis.call('HINCRBY', KEYS[1], 'failures', -1) end
return 1
"""


class RedisFailureStore:
    """Login failure counts as `<prefix>login-failures:<key>` hashes that expire when forgotten."""

    def __init__(self, client: redis.Redis, prefix: str = "tuchuang:") -> None:
        self.redis = client
        self.prefix = prefix
        self._add = client.register_script(_ADD_FAILURE)
        self._undo = client.register_script(_UNDO_FAILURE)

    def _key(self, key: str) -> str:
        return f"{self.prefix}login-failures:{key}"

    def get(self, key: str, now: int, forget: int) -> tuple[int, int]:
        with translate_errors():
            failures, last = self.redis.hmget(self._key(key), "failures", "last")
        if failures is None or last is None or int(last) < now - forget:
            return 0, 0
        return int(failures), int(last)

    def add(self, key: str, now: int, forget: int) -> tuple[int, int]:
        with translate_errors():
            failures, before = self._add(keys=[self._key(key)], args=[now, now - forget, forget])
        return int(failures), int(before)

    def undo(self, key: str) -> None:
        with translate_errors():
            self._undo(keys=[self._key(key)])

    def clear(self, key: str) -> None:
        with translate_errors():
            self.redis.delete(self._key(key))
