"""Sessions in the metadata store's `sessions` table (the embedded default)."""

from __future__ import annotations

from tuchuang.db import MetadataStore
from tuchuang.db.retry import transactions
from tuchuang.errors import Conflict
from tuchuang.sessions import token_hash


class SqlSessionStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        for attempt in transactions(self.store):
            with attempt as tx:
                tx.delete_expired_sessions(user, now)
                tx.insert_session(token_hash(token), user, client_addr, now + ttl)

    def user_of(self, token: str, now: int) -> str | None:
        with self.store.read() as tx:
            return tx.session_user(token_hash(token), now)

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        with self.store.read() as tx:
            return tx.has_live_session(user, client_addr, now)

    def close(self, user: str, token: str, now: int) -> None:
        with self.store.single() as tx:
            tx.delete_session(token_hash(token), user)

    def any_session_from(self, client_addr: str, now: int) -> bool:
        with self.store.read() as tx:
            return tx.any_session_from(client_addr, now)


class SqlFailureStore:
    """Login failure counts in the `login_failures` table."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def get(self, key: str, now: int, forget: int) -> tuple[int, int]:
        with self.store.read() as tx:
            found = tx.login_failures(key)
        if found is None or found[0] == 0 or found[1] < now - forget:
            return 0, 0
        return found

    def add(self, key: str, now: int, forget: int) -> tuple[int, int]:
        try:
            with self.store.single() as tx:  # the row exists before the locking read below
                tx.insert_login_failure(key, 0, 0)
        except Conflict:
            pass
        for attempt in transactions(self.store):
            with attempt as tx:
                failures, last = tx.login_failures_locked(key)  # FOR UPDATE: attempts count one by one
                if last < now - forget:
                    failures, last = 0, 0
                tx.set_login_failures(key, failures + 1, now)
        return failures + 1, last

    def undo(self, key: str) -> None:
        for attempt in transactions(self.store):
            with attempt as tx:
                tx.undo_login_failure(key)

    def clear(self, key: str) -> None:
        for attempt in transactions(self.store):
            with attempt as tx:
                tx.clear_login_failures(key)
