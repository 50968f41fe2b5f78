"""The ranking cache port: a copy of the download ranking that SQL can always rebuild (D6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

RankRow = tuple[str, str, int]  # md5, file_name, pv


class RankingCache(Protocol):
    def page(self, start: int, count: int, truth: tuple[int, int]) -> list[RankRow] | None:
        """A page of the ranking, or None when the cache disagrees with `truth` (count, pv sum)."""

    def rebuild(self, load: Callable[[], list[RankRow]]) -> None:
        """Replace the cache with the whole ranking that `load` reads from SQL."""

    def snapshot(self) -> list[RankRow] | None:
        """The whole cached ranking, or None when there is no cache (or it cannot be read)."""

    def shared(self, md5: str, name: str, pv: int) -> None: ...
    def removed(self, md5: str, name: str) -> None: ...
    def viewed(self, md5: str, name: str) -> None: ...


class NoRankingCache:
    """Without Redis the ranking comes straight from SQL."""

    def page(self, start: int, count: int, truth: tuple[int, int]) -> list[RankRow] | None:
        return None

    def rebuild(self, load: Callable[[], list[RankRow]]) -> None:
        pass  # nothing to rebuild, so the whole ranking is never loaded

    def snapshot(self) -> list[RankRow] | None:
        return None

    def shared(self, md5: str, name: str, pv: int) -> None:
        pass

    def removed(self, md5: str, name: str) -> None:
        pass

    def viewed(self, md5: str, name: str) -> None:
        pass
