"""The ranking in Redis: `FILE_PUBLIC_ZSET` (member md5+file_name, score pv) and `FILE_NAME_HASH`
as in the original (PROTOCOL.md §9), plus a pv sum, so disagreement with SQL is seen and repaired.

Ties are ordered by member descending, which the SQL ranking query reproduces.
A cache failure never fails a request: the ranking then comes from SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from tuchuang.cache import RankRow

log = logging.getLogger(__name__)


class RedisRankingCache:
    def __init__(self, client: redis.Redis, prefix: str = "tuchuang:") -> None:
        self.redis = client
        self.zset = f"{prefix}FILE_PUBLIC_ZSET"
        self.names = f"{prefix}FILE_NAME_HASH"
        self.pv_sum = f"{prefix}FILE_PUBLIC_PV_SUM"

    def page(self, start: int, count: int, truth: tuple[int, int]) -> list[RankRow] | None:
        if count == 0:
            return []
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.zcard(self.zset)
            pipe.get(self.pv_sum)
            pipe.zrevrange(self.zset, start, start + count - 1, withscores=True)
            card, pv_sum, members = pipe.execute()
        except redis.RedisError as exc:
            log.warning("ranking cache unavailable: %s", exc)
            return None
        if (card, int(pv_sum or 0)) != truth:
            return None
        # A member is md5 + file name (as in the original), so the name needs no FILE_NAME_HASH read.
        rows = []
        for member, score in members:
            text = member.decode()
            rows.append((text[:32], text[32:], int(score)))
        return rows

    def snapshot(self) -> list[RankRow] | None:
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.zrange(self.zset, 0, -1, withscores=True)
            pipe.hgetall(self.names)
            pipe.get(self.pv_sum)
            members, names, pv_sum = pipe.execute()
        except redis.RedisError as exc:
            log.warning("ranking cache unavailable: %s", exc)
            return None
        rows = [(m.decode()[:32], (names.get(m) or b"").decode(), int(score)) for m, score in members]
        if len(names) != len(members) or int(pv_sum or 0) != sum(pv for _, _, pv in rows):
            rows.append(("", "<cache bookkeeping disagrees>", -1))  # never equal to any SQL ranking
        return rows

    def rebuild(self, load: Callable[[], list[RankRow]]) -> None:
        rows = load()
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.delete(self.zset, self.names, self.pv_sum)
            if rows:
                pipe.zadd(self.zset, {md5 + name: pv for md5, name, pv in rows})
                pipe.hset(self.names, mapping={md5 + name: name for md5, name, _ in rows})
            pipe.set(self.pv_sum, sum(pv for _, _, pv in rows))
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("ranking cache not rebuilt: %s", exc)

    def _apply(self, what: str, *commands: tuple) -> None:
        try:
            pipe = self.redis.pipeline(transaction=True)
            for name, *args in commands:
                getattr(pipe, name)(*args)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("ranking cache missed %s (rebuilt on the next read): %s", what, exc)

    def shared(self, md5: str, name: str, pv: int) -> None:
        member = md5 + name
        self._apply("a share", ("zadd", self.zset, {member: pv}), ("hset", self.names, member, name),
                    ("incrby", self.pv_sum, pv))  # fmt: skip

    def removed(self, md5: str, name: str) -> None:
        member = md5 + name
        try:
            score = self.redis.zscore(self.zset, member)
        except redis.RedisError:
            score = None
        self._apply("a removal", ("zrem", self.zset, member), ("hdel", self.names, member),
                    ("decrby", self.pv_sum, int(score or 0)))  # fmt: skip

    def viewed(self, md5: str, name: str) -> None:
        member = md5 + name
        self._apply("a download", ("zincrby", self.zset, 1, member), ("incr", self.pv_sum))
