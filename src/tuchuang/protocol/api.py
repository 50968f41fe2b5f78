"""The /api dialect: integer codes and the shapes of api-v1.21.txt (PROTOCOL.md §12.1)."""

from __future__ import annotations

from typing import Any

import orjson

from tuchuang.protocol.replies import Reply
from tuchuang.services.outcomes import Outcome

NAME = "api"
CODES = {
    Outcome.OK: 0,
    Outcome.FAIL: 1,
    Outcome.USER_EXISTS: 2,
    Outcome.ALREADY_SHARED: 3,
    Outcome.TOKEN_INVALID: 4,
    Outcome.ALREADY_HAVE: 5,
    Outcome.UPLOAD_NEEDED: 1,
    Outcome.NOT_FOUND: 1,
    Outcome.FILE_DELETED: 2,
}
# Counts answer a total even on failure: {"code":1,"total":0} (PROTOCOL.md §4.5, §4.10).
_TOTAL_ON_FAILURE = {"myfiles.count", "sharefiles.count"}
# myfiles and sharepic's list answer a bad token with 1, not 4 (api-v1.21.txt; PROTOCOL.md §10.12, §12.1).
_TOKEN_IS_FAIL = {"myfiles", "myfiles.count", "myfiles.list", "upload", "sharepic.list"}


def render(op: str, reply: Reply) -> tuple[bytes, str]:
    outcome = reply.outcome
    if outcome is Outcome.TOKEN_INVALID and op in _TOKEN_IS_FAIL:
        outcome = Outcome.FAIL
    body: dict[str, Any] = {"code": CODES[outcome]}
    if reply.outcome is Outcome.OK:
        body.update(reply.fields)
        if reply.items is not None:
            body["files"] = reply.items
    elif op in _TOTAL_ON_FAILURE:
        body["total"] = 0
    return dump(body), "application/json; charset=utf-8"


def dump(body: Any) -> bytes:
    """Compact UTF-8 JSON (what `json.dumps(ensure_ascii=False, separators=(",", ":"))` gives)."""
    return orjson.dumps(body)
