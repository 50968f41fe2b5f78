"""Domain outcomes: what a use case ended in, independent of either wire dialect."""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    OK = "ok"
    FAIL = "fail"
    USER_EXISTS = "user exists"
    TOKEN_INVALID = "token invalid"
    ALREADY_HAVE = "user already has this file"
    UPLOAD_NEEDED = "content not on the server"
    ALREADY_SHARED = "already shared"
    NOT_FOUND = "unknown or cancelled"
    FILE_DELETED = "file deleted"


class Refused(Exception):
    """A use case ended in a non-OK outcome; protocol layers render it in their dialect."""

    def __init__(self, outcome: Outcome, reason: str = "") -> None:
        super().__init__(reason or outcome.value)
        self.outcome = outcome
