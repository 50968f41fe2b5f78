"""Exact caches for the hot reads (issue 14): a user's file count and list pages, the share
square's count and pages, the download ranking's pages, shared by every worker and node.

Each scope (one user's files, the square) has a version in Redis. A cached answer is stored under
the version read *before* the database was read, and a write bumps the versions of what it changed
*after* its transaction has committed, before it answers. So a reader either sees the new version
(and reads the database, which has the write), or an older one, whose entries nobody reads once the
bump is done — an answer older than a write that committed before the request began is never
served. (Bumping before the commit would let a reader cache the old rows under the new version.)
A global epoch, bumped by `tuchuang fsck --repair` and `tuchuang import`, covers every scope.

Without Redis, or when Redis fails, reads go to the database as before. A bump that fails after its
commit is retried once and logged; entries also expire after `TTL` seconds, which bounds how long
such a failure could show an older answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import orjson
import redis

from tuchuang import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
Encode = Callable[[T], Any]  # an answer as JSON data
Decode = Callable[[Any], T]
TTL = 300

# One round trip: the scope's version, the epoch, and the entry under both.
_FETCH = """
local v = redis.call('GET', KEYS[1]) or '0'
local e = redis.call('GET', KEYS[2]) or '0'
return {v, e, redis.call('GET', ARGV[1] .. e .. ':' .. v .. ':' .. ARGV[2])}
"""


def user_scope(user: str) -> str:
    return "u" + user.encode().hex()  # any user name, and no key can run into another


SQUARE = "square"


def encode_page(page: tuple[int, list[Any]]) -> list[Any]:
    """A (total, rows) answer as JSON data."""
    return [page[0], [list(row) for row in page[1]]]


def page_of(row: Callable[..., T]) -> Callable[[Any], tuple[int, list[T]]]:
    """The decoder of `encode_page`'s data back into (total, [row(*values)])."""

    def decode(data: Any) -> tuple[int, list[T]]:
        return data[0], [row(*values) for values in data[1]]

    return decode


class ReadCache(Protocol):
    def get(
        self, scope: str, key: str, load: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
    ) -> T:
        """The cached answer for (scope, key), or `load()`'s, cached."""

    def changed(self, *scopes: str) -> None:
        """After a commit that changed these scopes, before answering."""

    def changed_everything(self) -> None: ...


class NoReadCache:
    def get(
        self, scope: str, key: str, load: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
    ) -> T:
        return load()

    def changed(self, *scopes: str) -> None:
        pass

    def changed_everything(self) -> None:
        pass


class RedisReadCache:
    def __init__(self, client: redis.Redis, prefix: str = "tuchuang:", ttl: int = TTL) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl
        self._fetch = client.register_script(_FETCH)

    def _version_key(self, scope: str) -> str:
        return f"{self.prefix}ver:{scope}"

    def get(
        self, scope: str, key: str, load: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
    ) -> T:
        try:
            version, epoch, entry = self._fetch(
                keys=[self._version_key(scope), self._version_key("*")], args=[f"{self.prefix}c:{scope}:", key]
            )
        except redis.RedisError as exc:
            log.warning("read cache unavailable: %s", exc)
            return load()
        if entry is not None:
            metrics.CACHE.labels("reads", "hit").inc()
            return decode(orjson.loads(entry))
        value = load()  # after the versions were read: see the module's docstring
        name = f"{self.prefix}c:{scope}:{epoch.decode()}:{version.decode()}:{key}"
        try:
            self.redis.set(name, orjson.dumps(encode(value)), ex=self.ttl)
        except redis.RedisError as exc:
            log.warning("read cache unavailable: %s", exc)
        return value

    def changed(self, *scopes: str) -> None:
        self._bump([self._version_key(scope) for scope in scopes])

    def changed_everything(self) -> None:
        self._bump([self._version_key("*")])

    def _bump(self, keys: list[str]) -> None:
        for attempt in (1, 2):
            try:
                pipe = self.redis.pipeline(transaction=False)
                for key in keys:
                    pipe.incr(key)
                pipe.execute()
                return
            except redis.RedisError as exc:
                if attempt == 2:
                    log.error(
                        "read cache: versions %s not bumped (%s): cached reads may lag up to %d s", keys, exc, self.ttl
                    )
