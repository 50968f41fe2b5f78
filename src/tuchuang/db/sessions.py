"""Statements of the SQL session store (the embedded default; Redis holds them in production)."""

from __future__ import annotations

from tuchuang.db.base import TxBase

INSERT_SESSION = "INSERT INTO sessions (token_hash, user_name, client_addr, expires_at) VALUES (%s, %s, %s, %s)"
SELECT_SESSION_USER = "SELECT user_name FROM sessions WHERE token_hash = %s AND expires_at > %s"
SELECT_LIVE_SESSION = "SELECT 1 FROM sessions WHERE user_name = %s AND expires_at > %s LIMIT 1"
SELECT_LIVE_SESSION_FROM = (
    "SELECT 1 FROM sessions WHERE user_name = %s AND client_addr = %s AND expires_at > %s LIMIT 1"
)
SELECT_SESSION_FROM = "SELECT 1 FROM sessions WHERE client_addr = %s AND expires_at > %s LIMIT 1"
DELETE_SESSION = "DELETE FROM sessions WHERE token_hash = %s AND user_name = %s"
DELETE_EXPIRED_SESSIONS = "DELETE FROM sessions WHERE user_name = %s AND expires_at <= %s"


class SessionsTx(TxBase):
    def insert_session(self, token_hash: str, user: str, addr: str, expires_at: int) -> None:
        self.execute(INSERT_SESSION, token_hash, user, addr, expires_at)

    def session_user(self, token_hash: str, now: int) -> str | None:
        return self._scalar(SELECT_SESSION_USER, token_hash, now)

    def has_live_session(self, user: str, addr: str | None, now: int) -> bool:
        if addr is None:
            return self._one(SELECT_LIVE_SESSION, user, now) is not None
        return self._one(SELECT_LIVE_SESSION_FROM, user, addr, now) is not None

    def any_session_from(self, addr: str, now: int) -> bool:
        return self._one(SELECT_SESSION_FROM, addr, now) is not None

    def delete_session(self, token_hash: str, user: str) -> None:
        self.execute(DELETE_SESSION, token_hash, user)

    def delete_expired_sessions(self, user: str, now: int) -> None:
        self.execute(DELETE_EXPIRED_SESSIONS, user, now)
