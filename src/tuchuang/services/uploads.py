"""The upload use case over a spooled body: parse, authorise, verify, store (ARCHITECTURE.md)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tuchuang import metrics
from tuchuang.services.auth import Auth
from tuchuang.services.files import Files
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.upload.envelope import Declared, MalformedEnvelope, parse_envelope, verify_payload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """What the request carried besides the body: a token (cookie, header) and the peer."""

    token: str | None
    client_addr: str
    token_required: bool
    cross_site: bool = False  # made by a page of another site (D10)


class Uploads:
    def __init__(self, auth: Auth, files: Files, per_addr: int = 4) -> None:
        self.auth = auth
        self.files = files
        self.per_addr = per_addr
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, client_addr: str) -> Iterator[None]:
        """One of the `per_addr` uploads a client address may run at once (in this process)."""
        with self._lock:
            if self._running.get(client_addr, 0) >= self.per_addr:
                raise Refused(Outcome.FAIL, f"{self.per_addr} uploads from {client_addr} already running")
            self._running[client_addr] = self._running.get(client_addr, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[client_addr] - 1
                if left:
                    self._running[client_addr] = left
                else:
                    del self._running[client_addr]

    def check_early(self, credentials: Credentials, declared: Declared | None) -> None:
        """Refuse an upload on what arrived before its payload: a token in a header that is no live
        session, or the user named at the start of the body who may not upload now. Everything is
        checked again on the whole body; this only spares reading what would be refused."""
        if credentials.token is not None and not self.auth.live(credentials.token):
            raise Refused(Outcome.FAIL, "the upload's token is no live session")
        if declared is not None:
            self._authorize(declared.user, declared.token, credentials)

    def _authorize(self, user: str, body_token: str | None, credentials: Credentials) -> None:
        """May `user` upload, with the token of the body or else of the request (D3, D4, D10)?"""
        token = body_token or credentials.token
        if credentials.token_required and token is None:
            raise Refused(Outcome.FAIL, "token required")
        self.auth.require_tokenless(user, token, credentials.client_addr, credentials.cross_site)

    def accept(self, spool: Path, credentials: Credentials) -> None:
        """Store the upload in `spool`; raise Refused(FAIL) on any defect."""
        try:
            envelope = parse_envelope(spool)
        except MalformedEnvelope as exc:
            raise Refused(Outcome.FAIL, f"upload body: {exc}") from None
        self._authorize(envelope.user, envelope.token, credentials)
        # The md5 pass runs beside the blob write (two reads of the same cached file); nothing is
        # recorded before it has passed, and a blob written for a bad payload is deleted again.
        # A plain thread, not an executor: an executor refuses work once the interpreter shuts
        # down (Ctrl-C), which failed uploads in flight.
        check = _Background(lambda: verify_payload(spool, envelope))

        def verified() -> str:
            try:
                return check.result()
            except MalformedEnvelope as exc:
                raise Refused(Outcome.FAIL, f"upload payload: {exc}") from None

        started = time.perf_counter()
        try:
            self.files.store_upload(
                envelope.user, envelope.filename, envelope.md5, envelope.size, spool, envelope.offset, verified
            )
        finally:
            check.join()  # never leave the pass reading a spool file that is about to go
        metrics.UPLOAD_SECONDS.observe(time.perf_counter() - started)
        metrics.UPLOAD_BYTES.inc(envelope.size)


class _Background:
    """Run one function in a thread; `result()` waits for it and returns or raises its outcome."""

    def __init__(self, fn: Callable[[], str]) -> None:
        self._fn = fn
        self._value: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="md5", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value
