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
# A failure after a quiet period (the last one before %s) starts counting again from 1.
UPDATE_FAILURES = (
    "UPDATE login_failures SET failures = CASE WHEN last_failure < %s THEN 1 ELSE failures + 1 END,"
    " last_failure = %s WHERE throttle_key = %s"
)
INSERT_FAILURES = "INSERT INTO login_failures (throttle_key, failures, last_failure) VALUES (%s, 1, %s)"
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

    def add_login_failure(self, key: str, now: int, forget_before: int) -> bool:
        """Count one failure; False when the key has no row yet (the caller inserts it)."""
        return self.execute(UPDATE_FAILURES, forget_before, now, key).rowcount > 0

    def insert_login_failure(self, key: str, now: int) -> None:
        self.execute(INSERT_FAILURES, key, now)

    def clear_login_failures(self, key: str) -> None:
        self.execute(DELETE_FAILURES, key)
