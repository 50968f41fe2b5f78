"""Statements of `tuchuang fsck`: whole-table reads for the checks, and the re-checked repairs."""

from __future__ import annotations

from tuchuang.db.base import TxBase

FSCK_FILES = "SELECT md5, file_id, count FROM file_info"
FSCK_FILE_SIZES = "SELECT md5, file_id, size FROM file_info"
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


class ConsistencyTx(TxBase):
    def fsck_files(self) -> list[tuple[str, str, int]]:
        """(md5, file id, count) of every content row."""
        return [(r[0], r[1], int(r[2])) for r in self._all(FSCK_FILES)]

    def fsck_file_sizes(self) -> list[tuple[str, str, int]]:
        """(md5, file id, recorded size) of every content row."""
        return [(r[0], r[1], int(r[2])) for r in self._all(FSCK_FILE_SIZES)]

    def fsck_references(self) -> dict[str, int]:
        """The number of user files referencing each md5."""
        return {r[0]: int(r[1]) for r in self._all(FSCK_REFERENCES)}

    def fsck_file_ids(self) -> set[str]:
        return {r[0] for r in self._all(FSCK_FILE_IDS)}

    def fsck_user_files_without_content(self) -> list[tuple[str, str, str]]:
        """(user, md5, file name) of user files whose content row is gone."""
        return [(r[0], r[1], r[2]) for r in self._all(FSCK_USER_FILES_WITHOUT_CONTENT)]

    def fsck_shares_without_file(self) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._all(FSCK_SHARES_WITHOUT_FILE)]

    def fsck_wrong_share_flags(self) -> list[tuple[str, str, str, int]]:
        return [(r[0], r[1], r[2], int(r[3])) for r in self._all(FSCK_WRONG_SHARE_FLAGS)]

    def fsck_picture_shares_without_user(self) -> list[tuple[str, str]]:
        """(user, urlmd5) of picture shares whose user is gone."""
        return [(r[0], r[1]) for r in self._all(FSCK_PICTURE_SHARES_WITHOUT_USER)]

    def fsck_picture_shares_of_deleted_files(self) -> int:
        return int(self._scalar(FSCK_PICTURE_SHARES_OF_DELETED_FILES))

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
