"""The upload use case over a spooled body: parse, authorise, verify, store (ARCHITECTURE.md)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tuchuang.services.auth import Auth
from tuchuang.services.files import Files
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.upload.envelope import MalformedEnvelope, parse_envelope, verify_payload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """What the request carried besides the body: a token (cookie, header) and the peer."""

    token: str | None
    client_addr: str
    token_required: bool


class Uploads:
    def __init__(self, auth: Auth, files: Files) -> None:
        self.auth = auth
        self.files = files

    def accept(self, spool: Path, credentials: Credentials) -> None:
        """Store the upload in `spool`; raise Refused(FAIL) on any defect."""
        try:
            envelope = parse_envelope(spool)
        except MalformedEnvelope as exc:
            raise Refused(Outcome.FAIL, f"upload body: {exc}") from None
        token = envelope.token or credentials.token
        if credentials.token_required and token is None:
            raise Refused(Outcome.FAIL, "token required")
        self.auth.require_tokenless(envelope.user, token, credentials.client_addr)
        # The md5 pass runs beside the blob write (two reads of the same cached file); nothing is
        # recorded before it has passed, and a blob written for a bad payload is deleted again.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="md5") as pool:
            check = pool.submit(verify_payload, spool, envelope)

            def verified() -> None:
                try:
                    check.result()
                except MalformedEnvelope as exc:
                    raise Refused(Outcome.FAIL, f"upload payload: {exc}") from None

            self.files.store_upload(
                envelope.user, envelope.filename, envelope.md5, envelope.size, spool, envelope.offset, verified
            )
