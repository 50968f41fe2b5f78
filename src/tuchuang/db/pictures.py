"""Statements of picture shares (`share_picture_list`, D7)."""

from __future__ import annotations

from tuchuang.db.base import TxBase, format_time
from tuchuang.db.records import PictureShare

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


class PicturesTx(TxBase):
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
