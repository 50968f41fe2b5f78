"""The metadata store on MySQL / MariaDB through PyMySQL, with a per-process connection pool."""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql

from tuchuang.db.tx import Tx
from tuchuang.errors import Conflict, DatabaseUnavailable, LockConflict

log = logging.getLogger(__name__)

_IDLE_PING_SECONDS = 30.0
_LOCK_CONFLICTS = (1213, 1205)  # ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT


def connect_args(url: str) -> dict[str, Any]:
    """Turn mysql://user:password@host:port/database?connect_timeout=5 into PyMySQL arguments."""
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or None,
        "charset": "utf8mb4",
        "autocommit": True,
        "connect_timeout": float(options.get("connect_timeout", 5)),
        "read_timeout": float(options.get("read_timeout", 30)),
        "write_timeout": float(options.get("write_timeout", 30)),
        "init_command": "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "conv": _CONVERSIONS,
    }


# Timestamps are only ever sent on as `YYYY-MM-DD HH:MM:SS` text (PROTOCOL.md §8.3): take MySQL's
# own text instead of parsing it into a datetime and formatting it back on every row.
_CONVERSIONS = {**pymysql.converters.conversions}
for _type in (pymysql.constants.FIELD_TYPE.DATETIME, pymysql.constants.FIELD_TYPE.TIMESTAMP):
    _CONVERSIONS[_type] = str


@contextmanager
def translate_errors() -> Iterator[None]:
    """Translate PyMySQL's exceptions into the project's."""
    try:
        yield
    except pymysql.err.IntegrityError as exc:
        raise Conflict(str(exc)) from exc
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] in _LOCK_CONFLICTS:
            raise LockConflict(f"mysql: {exc}") from exc
        raise DatabaseUnavailable(f"mysql: {exc}") from exc
    except (pymysql.err.Error, OSError) as exc:
        raise DatabaseUnavailable(f"mysql: {exc}") from exc


class _Pooled:
    __slots__ = ("conn", "last_used")

    def __init__(self, conn: pymysql.connections.Connection) -> None:
        self.conn = conn
        self.last_used = time.monotonic()


class MysqlStore:
    dialect = "mysql"

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self._args = connect_args(url)
        self._size = pool_size
        self._lock = threading.Lock()
        self._pid = -1
        self._idle: queue.LifoQueue[_Pooled] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)

    def _reset_after_fork(self) -> None:
        # Connections made before fork() belong to the parent; never share them (STYLE.md 8).
        with self._lock:
            if self._pid != os.getpid():
                self._idle = queue.LifoQueue()
                self._slots = threading.BoundedSemaphore(self._size)
                self._pid = os.getpid()

    @contextmanager
    def _checkout(self) -> Iterator[pymysql.connections.Connection]:
        if self._pid != os.getpid():
            self._reset_after_fork()
        if not self._slots.acquire(timeout=self._args["connect_timeout"] * 2):
            raise DatabaseUnavailable("mysql: connection pool exhausted")
        pooled: _Pooled | None = None
        try:
            pooled = self._take()
            yield pooled.conn
        except LockConflict:
            raise  # rolled back; the connection itself is fine
        except (DatabaseUnavailable, pymysql.err.Error, OSError):
            if pooled is not None:
                _close_quietly(pooled.conn)  # state unknown after a database error
                pooled = None
            raise
        finally:
            if pooled is not None and pooled.conn.open:
                pooled.last_used = time.monotonic()
                self._idle.put(pooled)
            self._slots.release()

    def _take(self) -> _Pooled:
        with translate_errors():
            try:
                pooled = self._idle.get_nowait()
            except queue.Empty:
                return _Pooled(pymysql.connect(**self._args))
            if _closed_by_server(pooled.conn):
                # The server restarted, or killed the connection: its socket has the server's
                # FIN (or a last error packet) waiting. Open a new one rather than fail a request.
                log.info("mysql: a pooled connection was closed by the server; reconnecting")
                _close_quietly(pooled.conn)
                return _Pooled(pymysql.connect(**self._args))
            if time.monotonic() - pooled.last_used > _IDLE_PING_SECONDS:
                pooled.conn.ping(reconnect=True)
            return pooled

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._checkout() as conn, translate_errors():
            conn.begin()
            try:
                with conn.cursor() as cursor:
                    yield Tx(cursor)
            except BaseException:
                try:
                    conn.rollback()
                except (pymysql.err.Error, OSError):
                    log.warning("rollback failed; the connection is dropped")
                    _close_quietly(conn)
                raise
            conn.commit()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._checkout() as conn, translate_errors(), conn.cursor() as cursor:
            yield Tx(cursor)

    single = read  # autocommit: a lone statement commits by itself, without BEGIN/COMMIT round trips

    def apply_script(self, script: str) -> None:
        with self._checkout() as conn, translate_errors(), conn.cursor() as cursor:
            if NOPAD_BIN in script:
                script = script.replace(NOPAD_BIN, _nopad_collation(cursor))
            for statement in split_statements(script):
                cursor.execute(statement)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().conn.close()
            except queue.Empty:
                return


# Schema files name the binary no-pad collation by this mark; MariaDB and MySQL 8 spell it apart.
NOPAD_BIN = "@NOPAD_BIN@"


def _nopad_collation(cursor: Any) -> str:
    cursor.execute("SHOW COLLATION WHERE Collation IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')")
    names = sorted(row[0] for row in cursor.fetchall())
    if not names:
        raise DatabaseUnavailable("mysql: the server has no binary no-pad utf8mb4 collation")
    return names[-1]  # utf8mb4_nopad_bin (MariaDB) or utf8mb4_0900_bin (MySQL 8)


def _closed_by_server(conn: pymysql.connections.Connection) -> bool:
    """An idle connection has nothing to read; anything readable is an EOF or a parting error.
    One poll, no round trip (a ping on every checkout would cost one per request)."""
    sock = getattr(conn, "_sock", None)
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _close_quietly(conn: pymysql.connections.Connection) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail any way
        pass


def split_statements(script: str) -> list[str]:
    """Split a schema file on `;` at line ends, dropping `--` comment lines."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    parts = (part.strip().rstrip(";").strip() for part in "\n".join(lines).split(";\n"))
    return [part for part in parts if part]
