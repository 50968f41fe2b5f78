"""Statements of `tuchuang import`: rows of an original deployment written once each (a second
run inserts nothing twice), and the recounts that make counts and flags agree with the rows."""

from __future__ import annotations

from tuchuang.db.base import TxBase

SELECT_IMPORT = "SELECT layout, secret, finished_at FROM imports WHERE source = %s"
INSERT_IMPORT = "INSERT INTO imports (source, layout, secret, started_at) VALUES (%s, %s, %s, %s)"
FINISH_IMPORT = "UPDATE imports SET finished_at = %s WHERE source = %s"
COUNT_USERS = "SELECT COUNT(*) FROM user_info"
COUNT_CONTENTS = "SELECT COUNT(*) FROM file_info"

INSERT_USER = (
    "INSERT INTO user_info (user_name, nick_name, password, phone, email, create_time) VALUES (%s, %s, %s, %s, %s, %s)"
)
SELECT_NICK_OWNER = "SELECT user_name FROM user_info WHERE nick_name = %s"
INSERT_CONTENT = "INSERT INTO file_info (md5, file_id, size, type, count) VALUES (%s, %s, %s, %s, 0)"
SELECT_CONTENT = "SELECT 1 FROM file_info WHERE md5 = %s"
INSERT_USER_FILE = (
    "INSERT INTO user_file_list (user, md5, create_time, file_name, shared_status, pv) VALUES (%s, %s, %s, %s, 0, %s)"
)
SELECT_USER_FILE = "SELECT 1 FROM user_file_list WHERE user = %s AND md5 = %s AND file_name = %s"
INSERT_SHARE = "INSERT INTO share_file_list (user, md5, file_name, pv, create_time) VALUES (%s, %s, %s, %s, %s)"
SELECT_SHARE = "SELECT 1 FROM share_file_list WHERE md5 = %s AND file_name = %s"
SELECT_PICTURE = "SELECT user, filemd5, file_name FROM share_picture_list WHERE urlmd5 = %s"
INSERT_PICTURE = (
    "INSERT INTO share_picture_list (user, filemd5, file_name, urlmd5, pv, create_time) VALUES (%s, %s, %s, %s, %s, %s)"
)
FILE_IDS_AFTER = "SELECT id, md5, file_id FROM file_info WHERE id > %s ORDER BY id LIMIT %s"
RECOUNT_CONTENTS = "UPDATE file_info SET count = (SELECT COUNT(*) FROM user_file_list u WHERE u.md5 = file_info.md5)"
RESET_SHARE_FLAGS = (
    "UPDATE user_file_list SET shared_status = CASE WHEN EXISTS (SELECT 1 FROM share_file_list s"
    " WHERE s.user = user_file_list.user AND s.md5 = user_file_list.md5 AND s.file_name = user_file_list.file_name)"
    " THEN 1 ELSE 0 END"
)


def _in(values: list[str]) -> str:
    return ", ".join(["%s"] * len(values))


class ImportsTx(TxBase):
    """Each `import_*` writes its row unless one with the same key is there (the import runs alone,
    so looking first is enough) and says whether it wrote."""

    def import_run(self, source: str) -> tuple[str, str, int | None] | None:
        row = self._one(SELECT_IMPORT, source)
        return None if row is None else (row[0], row[1], None if row[2] is None else int(row[2]))

    def start_import(self, source: str, layout: str, secret: str, now: int) -> None:
        self.execute(INSERT_IMPORT, source, layout, secret, now)

    def finish_import(self, source: str, now: int) -> None:
        self.execute(FINISH_IMPORT, now, source)

    def count_users(self) -> int:
        return int(self._scalar(COUNT_USERS))

    def count_contents(self) -> int:
        return int(self._scalar(COUNT_CONTENTS))

    def existing_users(self, names: list[str]) -> set[str]:
        if not names:
            return set()
        return {r[0] for r in self._all(f"SELECT user_name FROM user_info WHERE user_name IN ({_in(names)})", *names)}

    def existing_contents(self, md5s: list[str]) -> set[str]:
        if not md5s:
            return set()
        return {r[0] for r in self._all(f"SELECT md5 FROM file_info WHERE md5 IN ({_in(md5s)})", *md5s)}

    def nick_owner(self, nick: str) -> str | None:
        return self._scalar(SELECT_NICK_OWNER, nick)

    def import_user(self, name: str, nick: str, password: str, phone: str, email: str, created: str) -> None:
        self.execute(INSERT_USER, name, nick, password, phone, email, created)

    def import_content(self, md5: str, file_id: str, size: int, type_: str) -> bool:
        if self._one(SELECT_CONTENT, md5) is not None:
            return False
        self.execute(INSERT_CONTENT, md5, file_id, size, type_)
        return True

    def import_user_file(self, user: str, md5: str, created: str, name: str, pv: int) -> bool:
        if self.has_user_file(user, md5, name):
            return False
        self.execute(INSERT_USER_FILE, user, md5, created, name, pv)
        return True

    def has_user_file(self, user: str, md5: str, name: str) -> bool:
        return self._one(SELECT_USER_FILE, user, md5, name) is not None

    def import_share(self, user: str, md5: str, name: str, pv: int, created: str) -> bool:
        if self._one(SELECT_SHARE, md5, name) is not None:
            return False
        self.execute(INSERT_SHARE, user, md5, name, pv, created)
        return True

    def picture_at(self, urlmd5: str) -> tuple[str, str, str] | None:
        row = self._one(SELECT_PICTURE, urlmd5)
        return None if row is None else (row[0], row[1], row[2])

    def import_picture(self, user: str, md5: str, name: str, urlmd5: str, pv: int, created: str) -> None:
        self.execute(INSERT_PICTURE, user, md5, name, urlmd5, pv, created)

    def file_ids_after(self, last: int, count: int) -> list[tuple[int, str, str]]:
        return [(int(r[0]), r[1], r[2]) for r in self._all(FILE_IDS_AFTER, last, count)]

    def recount_contents(self) -> None:
        self.execute(RECOUNT_CONTENTS)

    def reset_share_flags(self) -> None:
        self.execute(RESET_SHARE_FLAGS)
