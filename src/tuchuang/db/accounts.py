"""Statements of accounts: users and their password hashes, and the login failure counts."""

from __future__ import annotations

from tuchuang.db.base import TxBase

INSERT_USER = (
    "INSERT INTO user_info (user_name, nick_name, password, phone, email, create_time) VALUES (%s, %s, %s, %s, %s, %s)"
)
SELECT_USER_EXISTS = "SELECT 1 FROM user_info WHERE user_name = %s"
SELECT_PASSWORD = "SELECT password FROM user_info WHERE user_name = %s"
UPDATE_PASSWORD = "UPDATE user_info SET password = %s WHERE user_name = %s"

SELECT_FAILURES = "SELECT failures, last_failure FROM login_failures WHERE throttle_key = %s"
INSERT_FAILURES = "INSERT INTO login_failures (throttle_key, failures, last_failure) VALUES (%s, %s, %s)"
SET_FAILURES = "UPDATE login_failures SET failures = %s, last_failure = %s WHERE throttle_key = %s"
UNDO_FAILURE = "UPDATE login_failures SET failures = failures - 1 WHERE throttle_key = %s AND failures > 0"
DELETE_FAILURES = "DELETE FROM login_failures WHERE throttle_key = %s"


class AccountsTx(TxBase):
    def insert_user(self, name: str, nick: str, password: str, phone: str, email: str, now: str) -> None:
        self.execute(INSERT_USER, name, nick, password, phone, email, now)

    def user_exists(self, name: str) -> bool:
        return self._one(SELECT_USER_EXISTS, name) is not None

    def password_hash(self, name: str) -> str | None:
        return self._scalar(SELECT_PASSWORD, name)

    def set_password_hash(self, name: str, password: str) -> None:
        self.execute(UPDATE_PASSWORD, password, name)

    # login throttling
    def login_failures(self, key: str) -> tuple[int, int] | None:
        row = self._one(SELECT_FAILURES, key)
        return None if row is None else (int(row[0]), int(row[1]))

    def login_failures_locked(self, key: str) -> tuple[int, int]:
        """The row, locked until the transaction ends (SQLite's write transaction already is)."""
        sql = SELECT_FAILURES if self.placeholder != "%s" else SELECT_FAILURES + " FOR UPDATE"
        row = self._one(sql, key)
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def insert_login_failure(self, key: str, failures: int, now: int) -> None:
        self.execute(INSERT_FAILURES, key, failures, now)

    def set_login_failures(self, key: str, failures: int, now: int) -> None:
        self.execute(SET_FAILURES, failures, now, key)

    def undo_login_failure(self, key: str) -> None:
        self.execute(UNDO_FAILURE, key)

    def clear_login_failures(self, key: str) -> None:
        self.execute(DELETE_FAILURES, key)
