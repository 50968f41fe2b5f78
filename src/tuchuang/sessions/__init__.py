"""The session store port: opaque tokens, stored hashed, valid for a TTL (DECISIONS.md D3)."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

TOKEN_SHAPE = re.compile(r"[0-9a-f]{32}")


class SessionStore(Protocol):
    """Live login sessions; the SQL table and Redis implement it."""

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        """Record a new session for `user` opened from `client_addr`."""

    def user_of(self, token: str, now: int) -> str | None:
        """The user a live token belongs to, or None."""

    def close(self, user: str, token: str, now: int) -> None:
        """End `user`'s session of `token` (logout); its address stops counting for `user`."""

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        """Whether `user` holds a live session (from `client_addr`, unless None)."""

    def any_session_from(self, client_addr: str, now: int) -> bool:
        """Whether any user holds a live session opened from `client_addr`."""


def token_hash(token: str) -> str:
    """Tokens are stored hashed so a leaked table or Redis dump grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: object) -> bool:
    return isinstance(token, str) and TOKEN_SHAPE.fullmatch(token) is not None
