"""The metadata store on SQLite: one connection per thread and process, WAL, immediate writes."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tuchuang.db.tx import Tx
from tuchuang.errors import Conflict, DatabaseUnavailable


def sqlite_path(url: str) -> str:
    """Return the file path of a sqlite:///path URL (":memory:" is not supported)."""
    path = unquote(urlsplit(url).path)
    if url.startswith("sqlite:////"):
        return path
    return path[1:] if path.startswith("/") else path


@contextmanager
def translate_errors() -> Iterator[None]:
    """Translate sqlite3's exceptions into the project's."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise Conflict(str(exc)) from exc
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"sqlite: {exc}") from exc


class SqliteStore:
    dialect = "sqlite"

    def __init__(self, url: str, busy_timeout_ms: int = 10000) -> None:
        self.path = sqlite_path(url)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            with translate_errors():
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self._connection()
        with translate_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn.cursor(), placeholder="?")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._connection()
        with translate_errors():
            yield Tx(conn.cursor(), placeholder="?")

    single = read  # isolation_level=None: a lone statement commits by itself

    def apply_script(self, script: str) -> None:
        conn = self._connection()
        with translate_errors():
            try:
                conn.executescript("BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;")
            except sqlite3.Error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
