"""Login throttling (DECISIONS.md D2): after a few failures per user name or per client address,
logins are refused for a window that doubles with each further failure. A refused login gets the
ordinary failure code at once; nothing sleeps. Unknown user names are throttled exactly like known
ones, so the throttle tells nothing about which accounts exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class FailureStore(Protocol):
    """Failure counts per key; SQL and Redis implement it."""

    def get(self, key: str, now: int, forget: int) -> tuple[int, int]:
        """(failures, time of the last one); (0, 0) if none within `forget` seconds."""

    def add(self, key: str, now: int, forget: int) -> tuple[int, int]:
        """Count one failure at `now` (restarting from 1 after `forget` quiet seconds), atomically;
        return (the count with this one, the time of the failure before it, 0 if none)."""

    def undo(self, key: str) -> None:
        """Take back one counted attempt (it succeeded)."""

    def clear(self, key: str) -> None: ...


@dataclass(frozen=True)
class ThrottlePolicy:
    per_user: int = 5  # failures of one user name before its logins are refused for a while
    per_addr: int = 30  # failures from one client address (any user names)
    base_seconds: int = 2  # the first window; each further failure doubles it
    max_seconds: int = 900
    forget_seconds: int = 3600  # a quiet hour starts the count again

    def window(self, failures: int, limit: int) -> int:
        if failures < limit:
            return 0
        return min(self.base_seconds << min(failures - limit, 20), self.max_seconds)


class LoginThrottle:
    def __init__(self, store: FailureStore, policy: ThrottlePolicy = ThrottlePolicy()) -> None:
        self.store = store
        self.policy = policy

    @staticmethod
    def _keys(user: str, client_addr: str) -> tuple[str, str]:
        return f"user:{user}", f"addr:{client_addr}"

    def blocked_for(self, user: str, client_addr: str, now: int) -> int:
        """Seconds until a login for `user` from `client_addr` is considered again (0: now)."""
        p = self.policy
        wait = 0
        for key, limit in zip(self._keys(user, client_addr), (p.per_user, p.per_addr), strict=True):
            failures, last = self.store.get(key, now, p.forget_seconds)
            wait = max(wait, last + p.window(failures, limit) - now)
        return max(wait, 0)

    def attempt(self, user: str, client_addr: str, now: int) -> int:
        """Count this attempt as a failure before the password is checked, atomically, so parallel
        guesses cannot outrun the limit (D2); return the seconds to wait (0: check the password).

        A refused attempt stays counted; `succeeded` takes a checked attempt back."""
        p = self.policy
        wait = 0
        for key, limit in zip(self._keys(user, client_addr), (p.per_user, p.per_addr), strict=True):
            failures, before = self.store.add(key, now, p.forget_seconds)
            if failures > limit:  # the attempts before this one reached the limit
                wait = max(wait, before + p.window(failures - 1, limit) - now)
        return max(wait, 0)

    def withdraw(self, user: str, client_addr: str) -> None:
        """Take back an attempt whose password was never checked (the server was busy)."""
        for key in self._keys(user, client_addr):
            self.store.undo(key)

    def succeeded(self, user: str, client_addr: str) -> None:
        # The user's count goes; the address keeps its record, less this successful attempt.
        user_key, addr_key = self._keys(user, client_addr)
        self.store.clear(user_key)
        self.store.undo(addr_key)


class RegistrationLimit:
    """At most `per_addr` registrations from one client address per hour: each costs a password
    hash and a row, and a script could otherwise fill the user table."""

    def __init__(self, store: FailureStore, per_addr: int, window_seconds: int = 3600) -> None:
        self.store = store
        self.per_addr = per_addr
        self.window = window_seconds

    def allow(self, client_addr: str, now: int) -> bool:
        count, _ = self.store.add(f"reg:{client_addr}", now, self.window)
        return count <= self.per_addr
