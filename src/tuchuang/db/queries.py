"""The statements of the metadata store, run on one connection inside one transaction.

SQL is written once with `%s` placeholders (PyMySQL's style); the SQLite dialect rewrites them
to `?`. Parameters are always bound, never formatted into the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tuchuang.db.records import FileRow, PictureShare, SharedFile, UserFile

INSERT_USER = (
    "INSERT INTO user_info (user_name, nick_name, password, phone, email, create_time) VALUES (%s, %s, %s, %s, %s, %s)"
)
SELECT_USER_EXISTS = "SELECT 1 FROM user_info WHERE user_name = %s"
SELECT_PASSWORD = "SELECT password FROM user_info WHERE user_name = %s"
UPDATE_PASSWORD = "UPDATE user_info SET password = %s WHERE user_name = %s"

SELECT_FILE = "SELECT md5, file_id, size, type, count FROM file_info WHERE md5 = %s"
INSERT_FILE = "INSERT INTO file_info (md5, file_id, size, type, count) VALUES (%s, %s, %s, %s, 1)"
ADD_TO_FILE_COUNT = "UPDATE file_info SET count = count + %s WHERE md5 = %s"
DELETE_FILE = "DELETE FROM file_info WHERE md5 = %s AND count <= 0"

SELECT_USER_FILE = "SELECT shared_status FROM user_file_list WHERE user = %s AND md5 = %s AND file_name = %s"
INSERT_USER_FILE = (
    "INSERT INTO user_file_list (user, md5, create_time, file_name, shared_status, pv) VALUES (%s, %s, %s, %s, 0, 0)"
)
DELETE_USER_FILE = "DELETE FROM user_file_list WHERE user = %s AND md5 = %s AND file_name = %s"
COUNT_USER_FILES = "SELECT COUNT(*) FROM user_file_list WHERE user = %s"
INCREMENT_USER_FILE_PV = "UPDATE user_file_list SET pv = pv + 1 WHERE user = %s AND md5 = %s AND file_name = %s"
SET_SHARED_STATUS = "UPDATE user_file_list SET shared_status = %s WHERE user = %s AND md5 = %s AND file_name = %s"
# COUNT(*) OVER () gives the total with the page in one round trip (MariaDB >= 10.2, SQLite >= 3.25).
_USER_FILE_COLUMNS = (
    "SELECT u.user, u.md5, u.create_time, u.file_name, u.shared_status, u.pv,"
    " f.file_id, f.size, f.type, COUNT(*) OVER ()"
    " FROM user_file_list u JOIN file_info f ON f.md5 = u.md5 WHERE u.user = %s"
)
LIST_USER_FILES = {
    "normal": _USER_FILE_COLUMNS + " ORDER BY u.id LIMIT %s OFFSET %s",
    "pvasc": _USER_FILE_COLUMNS + " ORDER BY u.pv ASC, u.id ASC LIMIT %s OFFSET %s",
    "pvdesc": _USER_FILE_COLUMNS + " ORDER BY u.pv DESC, u.id ASC LIMIT %s OFFSET %s",
}

SELECT_SHARE = "SELECT user, pv FROM share_file_list WHERE md5 = %s AND file_name = %s"
INSERT_SHARE = "INSERT INTO share_file_list (user, md5, file_name, pv, create_time) VALUES (%s, %s, %s, 0, %s)"
DELETE_SHARE = "DELETE FROM share_file_list WHERE user = %s AND md5 = %s AND file_name = %s"
COUNT_SHARES = "SELECT COUNT(*) FROM share_file_list"
INCREMENT_SHARE_PV = "UPDATE share_file_list SET pv = pv + 1 WHERE md5 = %s AND file_name = %s"
LIST_SHARES = (
    "SELECT s.user, s.md5, s.create_time, s.file_name, s.pv, f.file_id, f.size, f.type, COUNT(*) OVER ()"
    " FROM share_file_list s JOIN file_info f ON f.md5 = s.md5"
    " ORDER BY s.id LIMIT %s OFFSET %s"
)
# Ties by member (md5 + file_name) descending: the order of the Redis ranking cache.
RANKING = "SELECT md5, file_name, pv FROM share_file_list ORDER BY pv DESC, md5 DESC, file_name DESC LIMIT %s OFFSET %s"
SHARE_TOTALS = "SELECT COUNT(*), COALESCE(SUM(pv), 0) FROM share_file_list"

INSERT_PICTURE_SHARE = (
    "INSERT INTO share_picture_list (user, filemd5, file_name, urlmd5, pv, create_time) VALUES (%s, %s, %s, %s, 0, %s)"
)
COUNT_PICTURE_SHARES = "SELECT COUNT(*) FROM share_picture_list WHERE user = %s"
LIST_PICTURE_SHARES = (
    "SELECT p.user, p.filemd5, p.file_name, p.urlmd5, p.pv, p.create_time, f.size"
    " FROM share_picture_list p LEFT JOIN file_info f ON f.md5 = p.filemd5"
    " WHERE p.user = %s ORDER BY p.id LIMIT %s OFFSET %s"
)
# A picture link with what browse needs about its file, in one statement (D7).
BROWSE_PICTURE_SHARE = (
    "SELECT p.user, p.file_name, p.pv, p.create_time, f.file_id, u.id FROM share_picture_list p"
    " LEFT JOIN file_info f ON f.md5 = p.filemd5"
    " LEFT JOIN user_file_list u ON u.user = p.user AND u.md5 = p.filemd5 AND u.file_name = p.file_name"
    " WHERE p.urlmd5 = %s"
)
DELETE_PICTURE_SHARE = "DELETE FROM share_picture_list WHERE user = %s AND urlmd5 = %s"
# A view counts only while the sharer still has the file (D7).
VIEW_PICTURE = (
    "UPDATE share_picture_list SET pv = pv + 1 WHERE urlmd5 = %s AND EXISTS ("
    "SELECT 1 FROM user_file_list u JOIN file_info f ON f.md5 = u.md5 WHERE u.user = share_picture_list.user"
    " AND u.md5 = share_picture_list.filemd5 AND u.file_name = share_picture_list.file_name)"
)

INSERT_SESSION = "INSERT INTO sessions (token_hash, user_name, client_addr, expires_at) VALUES (%s, %s, %s, %s)"
SELECT_SESSION_USER = "SELECT user_name FROM sessions WHERE token_hash = %s AND expires_at > %s"
SELECT_LIVE_SESSION = "SELECT 1 FROM sessions WHERE user_name = %s AND expires_at > %s LIMIT 1"
SELECT_LIVE_SESSION_FROM = (
    "SELECT 1 FROM sessions WHERE user_name = %s AND client_addr = %s AND expires_at > %s LIMIT 1"
)
DELETE_EXPIRED_SESSIONS = "DELETE FROM sessions WHERE user_name = %s AND expires_at <= %s"

SELECT_FAILURES = "SELECT failures, last_failure FROM login_failures WHERE throttle_key = %s"
# A failure after a quiet period (the last one before %s) starts counting again from 1.
UPDATE_FAILURES = (
    "UPDATE login_failures SET failures = CASE WHEN last_failure < %s THEN 1 ELSE failures + 1 END,"
    " last_failure = %s WHERE throttle_key = %s"
)
INSERT_FAILURES = "INSERT INTO login_failures (throttle_key, failures, last_failure) VALUES (%s, 1, %s)"
DELETE_FAILURES = "DELETE FROM login_failures WHERE throttle_key = %s"


# Consistency checks and repairs (`tuchuang fsck`).
FSCK_FILES = "SELECT md5, file_id, count FROM file_info"
FSCK_REFERENCES = "SELECT md5, COUNT(*) FROM user_file_list GROUP BY md5"
FSCK_FILE_IDS = "SELECT file_id FROM file_info"
FSCK_USER_FILES_WITHOUT_CONTENT = (
    "SELECT u.user, u.md5, u.file_name FROM user_file_list u LEFT JOIN file_info f ON f.md5 = u.md5 WHERE f.md5 IS NULL"
)
FSCK_SHARES_WITHOUT_FILE = (
    "SELECT s.user, s.md5, s.file_name FROM share_file_list s"
    " LEFT JOIN user_file_list u ON u.user = s.user AND u.md5 = s.md5 AND u.file_name = s.file_name"
    " WHERE u.id IS NULL"
)
FSCK_WRONG_SHARE_FLAGS = (
    "SELECT u.user, u.md5, u.file_name, u.shared_status FROM user_file_list u"
    " LEFT JOIN share_file_list s ON s.user = u.user AND s.md5 = u.md5 AND s.file_name = u.file_name"
    " WHERE (s.id IS NULL AND u.shared_status <> 0) OR (s.id IS NOT NULL AND u.shared_status = 0)"
)
FSCK_PICTURE_SHARES_WITHOUT_USER = (
    "SELECT p.user, p.urlmd5 FROM share_picture_list p"
    " LEFT JOIN user_info i ON i.user_name = p.user WHERE i.user_name IS NULL"
)
FSCK_PICTURE_SHARES_OF_DELETED_FILES = (
    "SELECT COUNT(*) FROM share_picture_list p"
    " LEFT JOIN user_file_list u ON u.user = p.user AND u.md5 = p.filemd5 AND u.file_name = p.file_name"
    " WHERE u.id IS NULL"
)
FIX_COUNT = "UPDATE file_info SET count = (SELECT COUNT(*) FROM user_file_list WHERE md5 = %s) WHERE md5 = %s"
FSCK_FILE_ID_OF = "SELECT file_id FROM file_info WHERE md5 = %s"
FSCK_FILE_ID_EXISTS = "SELECT 1 FROM file_info WHERE file_id = %s"
DELETE_FILE_ROW = "DELETE FROM file_info WHERE md5 = %s AND file_id = %s"
DELETE_USER_FILES_OF = "DELETE FROM user_file_list WHERE md5 = %s"
DELETE_SHARES_OF = "DELETE FROM share_file_list WHERE md5 = %s"


class Cursor(Protocol):
    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Sequence[Any] | None: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...


def format_time(value: Any) -> str:
    """Render a stored timestamp as `YYYY-MM-DD HH:MM:SS` (PROTOCOL.md §8.3)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@dataclass
class Tx:
    """One unit of work on one connection; every method runs one named statement."""

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

    # accounts
    def insert_user(self, name: str, nick: str, password: str, phone: str, email: str, now: str) -> None:
        self.execute(INSERT_USER, name, nick, password, phone, email, now)

    def user_exists(self, name: str) -> bool:
        return self._one(SELECT_USER_EXISTS, name) is not None

    def password_hash(self, name: str) -> str | None:
        return self._scalar(SELECT_PASSWORD, name)

    def set_password_hash(self, name: str, password: str) -> None:
        self.execute(UPDATE_PASSWORD, password, name)

    # stored contents
    def file(self, md5: str) -> FileRow | None:
        row = self._one(SELECT_FILE, md5)
        return None if row is None else FileRow(row[0], row[1], int(row[2]), row[3], int(row[4]))

    def insert_file(self, md5: str, file_id: str, size: int, type_: str) -> None:
        self.execute(INSERT_FILE, md5, file_id, size, type_)

    def add_to_file_count(self, md5: str, delta: int) -> bool:
        """Change the reference count; False when no file_info row has this md5."""
        return self.execute(ADD_TO_FILE_COUNT, delta, md5).rowcount > 0

    def delete_unreferenced_file(self, md5: str) -> bool:
        return self.execute(DELETE_FILE, md5).rowcount > 0

    # a user's files
    def user_file_shared(self, user: str, md5: str, name: str) -> bool | None:
        """None when the user has no such file, else whether it is shared."""
        row = self._one(SELECT_USER_FILE, user, md5, name)
        return None if row is None else bool(row[0])

    def insert_user_file(self, user: str, md5: str, name: str, now: str) -> None:
        self.execute(INSERT_USER_FILE, user, md5, now, name)

    def delete_user_file(self, user: str, md5: str, name: str) -> bool:
        return self.execute(DELETE_USER_FILE, user, md5, name).rowcount > 0

    def count_user_files(self, user: str) -> int:
        return int(self._scalar(COUNT_USER_FILES, user))

    def increment_user_file_pv(self, user: str, md5: str, name: str) -> bool:
        return self.execute(INCREMENT_USER_FILE_PV, user, md5, name).rowcount > 0

    def set_shared_status(self, user: str, md5: str, name: str, shared: bool) -> bool:
        return self.execute(SET_SHARED_STATUS, int(shared), user, md5, name).rowcount > 0

    def page_user_files(self, user: str, order: str, start: int, count: int) -> tuple[int, list[UserFile]]:
        """(the user's total, one page) in one statement; a page past the end counts apart."""
        rows = self.execute(LIST_USER_FILES[order], user, count, start).fetchall()
        files = [
            UserFile(r[0], r[1], format_time(r[2]), r[3], int(r[4]), int(r[5]), r[6], int(r[7]), r[8]) for r in rows
        ]
        total = int(rows[0][9]) if rows else self.count_user_files(user)
        return total, files

    # the share square
    def share_owner(self, md5: str, name: str) -> str | None:
        return self._scalar(SELECT_SHARE, md5, name)

    def insert_share(self, user: str, md5: str, name: str, now: str) -> None:
        self.execute(INSERT_SHARE, user, md5, name, now)

    def delete_share(self, user: str, md5: str, name: str) -> bool:
        return self.execute(DELETE_SHARE, user, md5, name).rowcount > 0

    def count_shares(self) -> int:
        return int(self._scalar(COUNT_SHARES))

    def share_totals(self) -> tuple[int, int]:
        """(number of shares, sum of their pv): what the ranking cache must agree with."""
        row = self.execute(SHARE_TOTALS).fetchone()
        return int(row[0]), int(row[1])

    def increment_share_pv(self, md5: str, name: str) -> bool:
        return self.execute(INCREMENT_SHARE_PV, md5, name).rowcount > 0

    def page_shares(self, start: int, count: int) -> tuple[int, list[SharedFile]]:
        """(the number of shares, one page of the square) in one statement."""
        rows = self.execute(LIST_SHARES, count, start).fetchall()
        shares = [SharedFile(r[0], r[1], format_time(r[2]), r[3], int(r[4]), r[5], int(r[6]), r[7]) for r in rows]
        return (int(rows[0][8]) if rows else self.count_shares()), shares

    def ranking(self, start: int, count: int) -> list[tuple[str, str, int]]:
        rows = self.execute(RANKING, count, start).fetchall()
        return [(r[0], r[1], int(r[2])) for r in rows]

    # picture shares
    def insert_picture_share(self, user: str, md5: str, name: str, urlmd5: str, now: str) -> None:
        self.execute(INSERT_PICTURE_SHARE, user, md5, name, urlmd5, now)

    def count_picture_shares(self, user: str) -> int:
        return int(self._scalar(COUNT_PICTURE_SHARES, user))

    def list_picture_shares(self, user: str, start: int, count: int) -> list[PictureShare]:
        rows = self.execute(LIST_PICTURE_SHARES, user, count, start).fetchall()
        return [PictureShare(r[0], r[1], r[2], r[3], int(r[4]), format_time(r[5]), int(r[6] or 0)) for r in rows]

    def browse_picture_share(self, urlmd5: str) -> tuple[str, str, int, str, str | None, bool] | None:
        """(user, file name, pv, share time, file id or None, owner still has the file) of a link."""
        r = self._one(BROWSE_PICTURE_SHARE, urlmd5)
        if r is None:
            return None
        return r[0], r[1], int(r[2]), format_time(r[3]), r[4], r[5] is not None

    def delete_picture_share(self, user: str, urlmd5: str) -> bool:
        return self.execute(DELETE_PICTURE_SHARE, user, urlmd5).rowcount > 0

    def view_picture(self, urlmd5: str) -> bool:
        """Count one view of a link whose file is still its sharer's; False otherwise."""
        return self.execute(VIEW_PICTURE, urlmd5).rowcount > 0

    # sessions (the SQL session store)
    def insert_session(self, token_hash: str, user: str, addr: str, expires_at: int) -> None:
        self.execute(INSERT_SESSION, token_hash, user, addr, expires_at)

    def session_user(self, token_hash: str, now: int) -> str | None:
        return self._scalar(SELECT_SESSION_USER, token_hash, now)

    def has_live_session(self, user: str, addr: str | None, now: int) -> bool:
        if addr is None:
            return self._one(SELECT_LIVE_SESSION, user, now) is not None
        return self._one(SELECT_LIVE_SESSION_FROM, user, addr, now) is not None

    def delete_expired_sessions(self, user: str, now: int) -> None:
        self.execute(DELETE_EXPIRED_SESSIONS, user, now)

    # login throttling
    def login_failures(self, key: str) -> tuple[int, int] | None:
        row = self._one(SELECT_FAILURES, key)
        return None if row is None else (int(row[0]), int(row[1]))

    def add_login_failure(self, key: str, now: int, forget_before: int) -> bool:
        """Count one failure; False when the key has no row yet (the caller inserts it)."""
        return self.execute(UPDATE_FAILURES, forget_before, now, key).rowcount > 0

    def insert_login_failure(self, key: str, now: int) -> None:
        self.execute(INSERT_FAILURES, key, now)

    def clear_login_failures(self, key: str) -> None:
        self.execute(DELETE_FAILURES, key)

    # consistency (tuchuang fsck)
    def fsck_files(self) -> list[tuple[str, str, int]]:
        return [(r[0], r[1], int(r[2])) for r in self.execute(FSCK_FILES).fetchall()]

    def fsck_references(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.execute(FSCK_REFERENCES).fetchall()}

    def fsck_rows(self, query: str) -> list[tuple[Any, ...]]:
        """Rows of one of the FSCK_* queries above (never a caller's text)."""
        return [tuple(r) for r in self.execute(query).fetchall()]

    def fix_count(self, md5: str) -> None:
        self.execute(FIX_COUNT, md5, md5)

    def file_id_of(self, md5: str) -> str | None:
        return self._scalar(FSCK_FILE_ID_OF, md5)

    def file_id_exists(self, file_id: str) -> bool:
        return self._one(FSCK_FILE_ID_EXISTS, file_id) is not None

    def delete_content(self, md5: str, file_id: str) -> None:
        """Forget content whose blob is gone: its row, every reference and every share of it."""
        self.execute(DELETE_SHARES_OF, md5)
        self.execute(DELETE_USER_FILES_OF, md5)
        self.execute(DELETE_FILE_ROW, md5, file_id)
