"""A per-process memory of recently verified tokens, in front of any session store.

Every request with a token asks the session store who it belongs to (a Redis or SQL round trip).
Sessions are never revoked before they expire (there is no logout in the protocol), so a positive
answer may be reused for a few seconds: a token then outlives its session by at most that long.
Unknown tokens are never remembered, so a new login works at once everywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from tuchuang import metrics
from tuchuang.sessions import SessionStore


class CachedSessions:
    def __init__(self, store: SessionStore, seconds: float, max_entries: int = 10_000) -> None:
        self.store = store
        self.seconds = seconds
        self.max_entries = max_entries
        self._known: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, user: str, token: str, client_addr: str, now: int, ttl: int) -> None:
        self.store.open(user, token, client_addr, now, ttl)

    def user_of(self, token: str, now: int) -> str | None:
        with self._lock:
            hit = self._known.get(token)
        if hit is not None and 0 <= now - hit[1] < self.seconds:
            metrics.CACHE.labels("sessions", "hit").inc()
            return hit[0]
        metrics.CACHE.labels("sessions", "miss").inc()
        user = self.store.user_of(token, now)
        with self._lock:
            if user is None:
                self._known.pop(token, None)
            else:
                self._known[token] = (user, now)
                self._known.move_to_end(token)
                while len(self._known) > self.max_entries:
                    self._known.popitem(last=False)
        return user

    def close(self, user: str, token: str, now: int) -> None:
        self.store.close(user, token, now)
        with self._lock:
            self._known.pop(token, None)  # other workers may still believe it for `seconds`

    def has_live_session(self, user: str, client_addr: str | None, now: int) -> bool:
        return self.store.has_live_session(user, client_addr, now)

    def any_session_from(self, client_addr: str, now: int) -> bool:
        return self.store.any_session_from(client_addr, now)
