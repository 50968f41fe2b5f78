"""The unit of work every repository module builds on: one cursor, bound parameters, one dialect.

SQL is written once with `%s` placeholders (PyMySQL's style); the SQLite dialect rewrites them
to `?`. Parameters are always bound, never formatted into the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Sequence[Any] | None: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...


def format_time(value: Any) -> str:
    """Render a stored timestamp as `YYYY-MM-DD HH:MM:SS` (PROTOCOL.md §8.3)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


PING = "SELECT 1"


@dataclass
class TxBase:
    """One unit of work on one connection; every method of a repository runs named statements."""

    cursor: Cursor
    placeholder: str = "%s"

    def execute(self, sql: str, *params: Any) -> Cursor:
        if self.placeholder != "%s":
            sql = sql.replace("%s", self.placeholder)
        self.cursor.execute(sql, params)
        return self.cursor

    def _one(self, sql: str, *params: Any) -> Sequence[Any] | None:
        return self.execute(sql, *params).fetchone()

    def _scalar(self, sql: str, *params: Any) -> Any:
        row = self._one(sql, *params)
        return None if row is None else row[0]

    def _all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.execute(sql, *params).fetchall()]

    def ping(self) -> None:
        """One round trip to the database (readiness)."""
        self.execute(PING).fetchone()
