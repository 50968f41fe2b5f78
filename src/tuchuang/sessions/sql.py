"""Sessions in the metadata store's `sessions` table (the embedded default)."""

from __future__ import annotations

from tuchuang.db import MetadataStore
from tuchuang.errors import Conflict
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


class SqlFailureStore:
    """Login failure counts in the `login_failures` table."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def get(self, key: str, now: int, forget: int) -> tuple[int, int]:
        with self.store.read() as tx:
            found = tx.login_failures(key)
        if found is None or found[1] < now - forget:
            return 0, 0
        return found

    def add(self, key: str, now: int, forget: int) -> None:
        try:
            with self.store.transaction() as tx:
                if not tx.add_login_failure(key, now, now - forget):
                    tx.insert_login_failure(key, now)
        except Conflict:  # a concurrent first failure inserted the row: count on it
            with self.store.transaction() as tx:
                tx.add_login_failure(key, now, now - forget)

    def clear(self, key: str) -> None:
        with self.store.transaction() as tx:
            tx.clear_login_failures(key)
