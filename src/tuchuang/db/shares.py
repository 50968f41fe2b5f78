"""Statements of the share square (`share_file_list`) and its download ranking."""

from __future__ import annotations

from tuchuang.db.base import TxBase, format_time
from tuchuang.db.records import SharedFile

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


class SharesTx(TxBase):
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
        assert row is not None
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
