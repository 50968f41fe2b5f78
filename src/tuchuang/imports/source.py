"""An original 0voice deployment's database, read only: which of the three layouts it is, and its
rows in batches (keyset pages by `id`, so memory does not grow with the tables).

The layouts, as the public repositories define them (column names and types are facts of those
servers; the DDL is not copied here):
- `legacy-fastcgi`: the course's FastCGI server for the Qt client (`cc-cloud-disk`):
  `user_info`, `file_info`, `user_file_list`, `share_file_list`, `user_file_count`.
- `api-fastcgi`: the course's `/api` FastCGI server: the same, plus `share_picture_list` (with its
  `key` column), whose counts also live in `user_file_count` (`<user>_share_picture_list_count`).
- `tc-src`: the C++ server: `share_picture_list`, and no `user_file_count`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tuchuang.config import redact_url
from tuchuang.errors import TuchuangError

LAYOUTS = {
    "legacy-fastcgi": "the legacy FastCGI server (cc-cloud-disk: file counts in user_file_count, no picture links)",
    "api-fastcgi": "the /api FastCGI server (user_file_count, and picture links in share_picture_list)",
    "tc-src": "the C++ server tc-src (picture links in share_picture_list, no user_file_count)",
}
REQUIRED = {
    "user_info": ("id", "user_name", "nick_name", "password", "phone", "email", "create_time"),
    "file_info": ("id", "md5", "file_id", "url", "size", "type", "count"),
    "user_file_list": ("id", "user", "md5", "create_time", "file_name", "shared_status", "pv"),
    "share_file_list": ("id", "user", "md5", "file_name", "pv", "create_time"),
}
PICTURES = ("id", "user", "filemd5", "file_name", "urlmd5", "pv", "create_time")
COUNTS = ("user", "count")


class SourceError(TuchuangError):
    """The source cannot be read, or is not an original deployment's database."""


def shown(url: str) -> str:
    """The source's URL as reports, messages and `imports` name it: without its password."""
    return redact_url(url) or url


class Source:
    def __init__(self, url: str) -> None:
        self.url = url
        scheme = urlsplit(url).scheme
        try:
            if scheme == "sqlite":
                from tuchuang.db.sqlite import sqlite_path

                path = sqlite_path(url)
                if not Path(path).is_file():
                    raise SourceError(f"{shown(url)}: no such database file")
                self._conn: Any = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
                self.placeholder = "?"
            elif scheme == "mysql":
                import pymysql

                from tuchuang.db.mysql import connect_args

                args = connect_args(url)
                # Read only, and one consistent snapshot for the whole run.
                args["init_command"] = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                args["read_timeout"] = max(args["read_timeout"], 600)
                self._conn = pymysql.connect(**args)
                with self._conn.cursor() as cursor:
                    cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                self.placeholder = "%s"
            else:
                raise SourceError(f"{shown(url)}: expected mysql://user:password@host/database or sqlite:///path")
        except (OSError, sqlite3.Error) as exc:
            raise SourceError(f"{shown(url)}: cannot open: {exc}") from exc
        except Exception as exc:
            if isinstance(exc, SourceError):
                raise
            raise SourceError(f"{shown(url)}: cannot connect: {exc}") from exc
        self.columns = self._columns()
        self.layout = detect(self.columns)

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # noqa: S110 - closing a read-only connection cannot lose anything
            pass

    def _columns(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        if self.placeholder == "?":
            for (table,) in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'"):
                found[table.lower()] = {row[1].lower() for row in self.rows(f'PRAGMA table_info("{table}")')}
            return found
        sql = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()"
        for table, column in self.rows(sql):
            found.setdefault(table.lower(), set()).add(column.lower())
        return found

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.placeholder != "%s":
            sql = sql.replace("%s", self.placeholder)
        try:
            cursor = self._conn.cursor()
            cursor.execute(sql, params)
            result = [tuple(row) for row in cursor.fetchall()]
            cursor.close()
            return result
        except Exception as exc:
            raise SourceError(f"{shown(self.url)}: {exc}") from exc

    def count(self, table: str) -> int:
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])

    def batches(self, table: str, columns: Sequence[str], size: int) -> Iterator[list[tuple[Any, ...]]]:
        """All rows of `table` in `id` order, `size` at a time; each row starts with its id."""
        names = ", ".join(f"`{c}`" if self.placeholder == "%s" else f'"{c}"' for c in columns)
        last = -(1 << 62)
        while True:
            batch = self.rows(f"SELECT id, {names} FROM {table} WHERE id > %s ORDER BY id LIMIT %s", last, size)
            if not batch:
                return
            yield batch
            last = batch[-1][0]


def detect(columns: dict[str, set[str]]) -> str:
    """Which original server made this database; SourceError when it is none of them."""
    if "blob_intents" in columns and "sessions" in columns:
        raise SourceError("this is a tuchuang database, not an original 0voice one")
    tables = [t for t in REQUIRED if t not in columns]
    if tables:
        raise SourceError(f"not an original 0voice database: no table {', '.join(tables)}")
    missing = [f"{t}.{c}" for t, cs in REQUIRED.items() for c in cs if c not in columns[t]]
    if missing:
        raise SourceError(f"not an original 0voice database: missing {', '.join(missing)}")
    pictures = "share_picture_list" in columns
    counts = "user_file_count" in columns
    if pictures:
        absent = [c for c in PICTURES if c not in columns["share_picture_list"]]
        if absent:
            raise SourceError(f"share_picture_list lacks {', '.join(absent)}")
    if counts and any(c not in columns["user_file_count"] for c in COUNTS):
        raise SourceError("user_file_count lacks user or count")
    if pictures and counts:
        return "api-fastcgi"
    if pictures:
        return "tc-src"
    if counts:
        return "legacy-fastcgi"
    raise SourceError("not an original 0voice database: neither user_file_count nor share_picture_list")
