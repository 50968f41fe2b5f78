"""Statements of stored contents (`file_info`, one row per md5) and users' files (`user_file_list`)."""

from __future__ import annotations

from tuchuang.db.base import TxBase, format_time
from tuchuang.db.records import FileRow, UserFile

SELECT_FILE = "SELECT md5, file_id, size, type, count, sha256 FROM file_info WHERE md5 = %s"
INSERT_FILE = "INSERT INTO file_info (md5, file_id, size, type, count, sha256) VALUES (%s, %s, %s, %s, 1, %s)"
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


class FilesTx(TxBase):
    # stored contents
    def file(self, md5: str) -> FileRow | None:
        row = self._one(SELECT_FILE, md5)
        return None if row is None else FileRow(row[0], row[1], int(row[2]), row[3], int(row[4]), row[5])

    def insert_file(self, md5: str, file_id: str, size: int, type_: str, sha256: str | None = None) -> None:
        self.execute(INSERT_FILE, md5, file_id, size, type_, sha256)

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
