"""Registration and login; passwords stored as argon2id over the md5 hex the client sends (D2)."""

from __future__ import annotations

import re
from collections.abc import Callable

from tuchuang.db import MetadataStore
from tuchuang.db.retry import transactions
from tuchuang.errors import Conflict
from tuchuang.services.clock import Clock, local_time
from tuchuang.services.hashing import Busy, PasswordWork
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.services.throttle import LoginThrottle, RegistrationLimit
from tuchuang.sessions import SessionStore

PASSWORD_MD5 = re.compile(r"[0-9a-fA-F]{32}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def valid_name(value: str, limit: int = 32) -> bool:
    """1..limit printable characters with no whitespace (user names end up in URLs and keys)."""
    return 0 < len(value) <= limit and value.isprintable() and not any(c.isspace() for c in value)


class Accounts:
    def __init__(
        self,
        store: MetadataStore,
        sessions: SessionStore,
        passwords: PasswordWork,
        clock: Clock,
        new_token: Callable[[], str],
        session_ttl: int,
        throttle: LoginThrottle,
        registrations: RegistrationLimit,
    ) -> None:
        self.throttle = throttle
        self.store = store
        self.sessions = sessions
        self.passwords = passwords
        self.registrations = registrations
        self.clock = clock
        self.new_token = new_token
        self.session_ttl = session_ttl
        self._dummy_hash = passwords.hasher.hash("0" * 32)

    def register(self, user: str, nick: str, pwd_md5: str, phone: str, email: str, client_addr: str) -> None:
        if not (valid_name(user) and 0 < len(nick) <= 32 and nick.isprintable()):
            raise Refused(Outcome.FAIL, "user or nick name invalid")
        if not PASSWORD_MD5.fullmatch(pwd_md5) or len(phone) > 16 or len(email) > 64:
            raise Refused(Outcome.FAIL, "password, phone or email invalid")
        if email and not EMAIL.fullmatch(email):
            raise Refused(Outcome.FAIL, "email invalid")
        with self.store.read() as tx:  # a taken name costs no hashing
            if tx.user_exists(user):
                raise Refused(Outcome.USER_EXISTS)
        if not self.registrations.allow(client_addr, int(self.clock())):
            raise Refused(Outcome.FAIL, "too many registrations from this address")
        password = self.passwords.hash(pwd_md5.lower())
        try:
            for attempt in transactions(self.store):
                with attempt as tx:
                    if tx.user_exists(user):
                        raise Refused(Outcome.USER_EXISTS)
                    tx.insert_user(user, nick, password, phone, email, local_time(self.clock()))
        except Conflict:
            # A racing registration of the same name, or a taken nick name (PROTOCOL.md §10.21).
            with self.store.read() as tx:
                taken = tx.user_exists(user)
            raise Refused(Outcome.USER_EXISTS if taken else Outcome.FAIL) from None

    def login(self, user: str, pwd_md5: str, client_addr: str) -> str:
        """Check the password and open a session; return its token."""
        # The registration rules apply at login: no name that could only match by padding or folding.
        if not PASSWORD_MD5.fullmatch(pwd_md5) or not valid_name(user):
            raise Refused(Outcome.FAIL)
        now = int(self.clock())
        if self.throttle.blocked_for(user, client_addr, now):
            raise Refused(Outcome.FAIL, "login throttled")  # at once, uncounted: no sleeping
        wait = self.throttle.attempt(user, client_addr, now)  # counted before the check (D2)
        if wait:
            raise Refused(Outcome.FAIL, f"login throttled for {wait}s")
        with self.store.read() as tx:
            stored = tx.password_hash(user)
        # Unknown users cost the same hash as known ones: no enumeration by timing.
        try:
            matches = self.passwords.verify(stored or self._dummy_hash, pwd_md5.lower())
        except Busy:
            self.throttle.withdraw(user, client_addr)  # not checked: not a guess
            raise
        if not matches or stored is None:
            raise Refused(Outcome.FAIL)  # already counted
        self.throttle.succeeded(user, client_addr)
        if self.passwords.needs_rehash(stored):
            self._rehash(user, pwd_md5.lower())
        token = self.new_token()
        self.sessions.open(user, token, client_addr, int(self.clock()), self.session_ttl)
        return token

    def _rehash(self, user: str, pwd_md5: str) -> None:
        """Store the hash again with today's parameters; when busy, the next login does it."""
        try:
            rehashed = self.passwords.hash(pwd_md5)  # not inside a transaction: it is slow
        except Busy:
            return
        with self.store.single() as tx:
            tx.set_password_hash(user, rehashed)
