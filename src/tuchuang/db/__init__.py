"""The metadata store port and the factory that picks its implementation by URL."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol
from urllib.parse import urlsplit

from tuchuang.db.tx import Tx


class MetadataStore(Protocol):
    """Transactions over the metadata tables; SQLite and MySQL implement it."""

    dialect: str

    def transaction(self) -> AbstractContextManager[Tx]:
        """Open one read-write unit of work; commit on success, roll back on error."""

    def read(self) -> AbstractContextManager[Tx]:
        """Run statements that need no transaction (each sees committed data)."""

    def single(self) -> AbstractContextManager[Tx]:
        """Run one write statement that commits by itself (no BEGIN/COMMIT round trips)."""

    def apply_script(self, script: str) -> None:
        """Run a schema file's statements."""

    def close(self) -> None: ...


def open_store(url: str, pool_size: int = 8) -> MetadataStore:
    """Build the store named by `url` (sqlite:///path or mysql://user:pw@host:port/db)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from tuchuang.db.sqlite import SqliteStore

        return SqliteStore(url)
    from tuchuang.db.mysql import MysqlStore

    return MysqlStore(url, pool_size=pool_size)
