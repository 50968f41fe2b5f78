"""Sessions in the metadata store's `sessions` table (the embedded default)."""

from __future__ import annotations

from tuchuang.db import MetadataStore
from tuchuang.sessions import token_hash


class SqlSessionStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        with self.store.transaction() as tx:
            tx.delete_expired_sessions(user, now)
            tx.insert_session(token_hash(token), user, client_addr, now + ttl)

    def user_of(self, token: str, now: int) -> str | None:
        with self.store.read() as tx:
            return tx.session_user(token_hash(token), now)

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        with self.store.read() as tx:
            return tx.has_live_session(user, client_addr, now)
