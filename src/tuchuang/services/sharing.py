"""The share square and its download ranking (PROTOCOL.md §4.7, §4.10-§4.15, D4, D6)."""

from __future__ import annotations

from tuchuang import metrics
from tuchuang.cache import NoRankingCache, RankingCache
from tuchuang.cache.reads import SQUARE, NoReadCache, ReadCache, encode_page, page_of, user_scope
from tuchuang.db import MetadataStore
from tuchuang.db.records import SharedFile
from tuchuang.db.retry import transactions
from tuchuang.errors import Conflict
from tuchuang.services.clock import Clock, local_time
from tuchuang.services.files import check_file_key
from tuchuang.services.outcomes import Outcome, Refused


class Sharing:
    def __init__(
        self, store: MetadataStore, clock: Clock, ranking: RankingCache | None = None, reads: ReadCache | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.cache = ranking or NoRankingCache()
        self.reads = reads or NoReadCache()

    def share(self, user: str, md5: str, name: str) -> None:
        """Share a file the user owns; "already shared" is global per (md5, name) (D6)."""
        md5 = check_file_key(md5, name)
        try:
            for attempt in transactions(self.store):
                with attempt as tx:
                    if tx.user_file_shared(user, md5, name) is None:
                        raise Refused(Outcome.FAIL, "not the user's file")
                    if tx.share_owner(md5, name) is not None:
                        raise Refused(Outcome.ALREADY_SHARED)
                    tx.insert_share(user, md5, name, local_time(self.clock()))
                    tx.set_shared_status(user, md5, name, True)
        except Conflict:
            raise Refused(Outcome.ALREADY_SHARED) from None
        self.reads.changed(user_scope(user), SQUARE)  # after the commit (cache/reads.py)
        self.cache.shared(md5, name, 0)

    def cancel(self, user: str, md5: str, name: str) -> None:
        """Only the share's owner cancels it (D4)."""
        md5 = check_file_key(md5, name)
        for attempt in transactions(self.store):
            with attempt as tx:
                if not tx.delete_share(user, md5, name):
                    raise Refused(Outcome.FAIL, "no such share of this user")
                tx.set_shared_status(user, md5, name, False)
        self.reads.changed(user_scope(user), SQUARE)  # after the commit
        self.cache.removed(md5, name)

    def save(self, user: str, md5: str, name: str) -> None:
        """Add a shared file to the saving user's files (one more reference to the content)."""
        md5 = check_file_key(md5, name)
        try:
            for attempt in transactions(self.store):
                with attempt as tx:
                    if tx.share_owner(md5, name) is None:
                        raise Refused(Outcome.FAIL, "not shared")
                    if tx.user_file_shared(user, md5, name) is not None:
                        raise Refused(Outcome.ALREADY_HAVE)
                    tx.insert_user_file(user, md5, name, local_time(self.clock()))
                    if not tx.add_to_file_count(md5, 1):
                        raise Refused(Outcome.FAIL, "content gone")
        except Conflict:
            raise Refused(Outcome.ALREADY_HAVE) from None
        self.reads.changed(user_scope(user))  # after the commit

    def add_pv(self, md5: str, name: str) -> None:
        md5 = check_file_key(md5, name)
        with self.store.single() as tx:
            if not tx.increment_share_pv(md5, name):
                raise Refused(Outcome.FAIL, "not shared")
        self.reads.changed(SQUARE)  # after the commit
        self.cache.viewed(md5, name)

    def count(self) -> int:
        def load() -> int:
            with self.store.read() as tx:
                return tx.count_shares()

        return self.reads.get(SQUARE, "count", load, int, int)

    def page(self, start: int, count: int) -> tuple[int, list[SharedFile]]:
        def load() -> tuple[int, list[SharedFile]]:
            with self.store.read() as tx:
                return tx.page_shares(start, count)

        return self.reads.get(SQUARE, f"page:{start}:{count}", load, encode_page, page_of(SharedFile))

    def ranking(self, start: int, count: int) -> tuple[int, list[tuple[str, int]]]:
        """(total, [(file_name, pv)]) by pv descending, from the exact read cache, else below."""
        return self.reads.get(
            SQUARE, f"rank:{start}:{count}", lambda: self._ranking(start, count), encode_page, page_of(_rank_row)
        )

    def _ranking(self, start: int, count: int) -> tuple[int, list[tuple[str, int]]]:
        """SQL is the truth, the ranking cache a copy."""
        with self.store.read() as tx:
            truth = tx.share_totals()
        rows = self.cache.page(start, count, truth)
        metrics.CACHE.labels("ranking", "miss" if rows is None else "hit").inc()
        if rows is None:
            with self.store.read() as tx:
                self.cache.rebuild(lambda: tx.ranking(0, truth[0]))
                rows = tx.ranking(start, count)
        return truth[0], [(name, pv) for _, name, pv in rows]


def _rank_row(name: str, pv: int) -> tuple[str, int]:
    return name, pv
