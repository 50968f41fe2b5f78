"""Who may act as a user: token checks (D3) and the legacy no-token policy (D4)."""

from __future__ import annotations

from tuchuang.services.clock import Clock
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.sessions import SessionStore, well_formed


class Auth:
    def __init__(self, sessions: SessionStore, clock: Clock, legacy_policy: str) -> None:
        self.sessions = sessions
        self.clock = clock
        self.legacy_policy = legacy_policy

    def verifies(self, user: str, token: object) -> bool:
        """An empty, malformed or unknown token never verifies; it must be `user`'s."""
        if not well_formed(token):
            return False
        return self.sessions.user_of(token, int(self.clock())) == user  # type: ignore[arg-type]

    def live(self, token: object) -> bool:
        """Whether `token` is any user's live session (before the user is known)."""
        return well_formed(token) and self.sessions.user_of(token, int(self.clock())) is not None  # type: ignore[arg-type]

    def may_start_upload(self, token: str | None, client_addr: str, cross_site: bool, legacy: bool) -> bool:
        """Before an upload's body is taken, from its headers alone: could it be allowed at all?
        A token must be live; a token-less legacy upload under `session-ip` needs some live
        session from its address (the user is named in the body, checked after it)."""
        if token is not None:
            return self.live(token)
        if cross_site:
            return False  # D10
        if legacy and self.legacy_policy == "session-ip":
            return self.sessions.any_session_from(client_addr, int(self.clock()))
        return True  # /api may carry its token in the body

    def logout(self, user: str, token: object) -> None:
        """End the session: the token no longer verifies, its address no longer counts (D4)."""
        self.require_token(user, token)
        self.sessions.close(user, token, int(self.clock()))  # type: ignore[arg-type]

    def require_token(self, user: str, token: object) -> None:
        if not self.verifies(user, token):
            raise Refused(Outcome.TOKEN_INVALID)

    def allows_tokenless(self, user: str, token: str | None, client_addr: str) -> bool:
        """For endpoints whose legacy wire carries no token: a supplied token must verify,
        otherwise the TUCHUANG_LEGACY_AUTH policy decides (DECISIONS.md D4)."""
        if token is not None:
            return self.verifies(user, token)
        if self.legacy_policy == "open":
            return True
        addr = client_addr if self.legacy_policy == "session-ip" else None
        return self.sessions.has_live_session(user, addr, int(self.clock()))

    def require_tokenless(self, user: str, token: str | None, client_addr: str, cross_site: bool = False) -> None:
        """As `allows_tokenless`; a request from another site must carry a token (D10)."""
        if token is None and cross_site:
            raise Refused(Outcome.FAIL, "a token-less request from another site")
        if not self.allows_tokenless(user, token, client_addr):
            raise Refused(Outcome.FAIL, "no live session for the named user")
