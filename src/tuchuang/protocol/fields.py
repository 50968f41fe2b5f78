"""Read untrusted JSON bodies and their fields; any defect is BadRequest (the endpoint's fail code)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

BODY_LIMIT = 64 * 1024
MAX_PAGE = 1000
MAX_START = 1 << 31


class BadRequest(ValueError):
    """The body or a field is missing, of the wrong type, or out of range."""


def read_json(stream: BinaryIO, limit: int = BODY_LIMIT) -> dict[str, Any]:
    """Parse a JSON object, whatever the Content-Type says (PROTOCOL.md §3.1)."""
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise BadRequest("body too large")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting is bad input too
        raise BadRequest(f"invalid JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise BadRequest("body is not a JSON object")
    return data


def text(body: dict[str, Any], *keys: str, limit: int = 256, optional: bool = False) -> str:
    """The first present key of `keys` as a string of at most `limit` characters."""
    for key in keys:
        if key in body and body[key] is not None:
            value = body[key]
            if not isinstance(value, str) or len(value) > limit:
                raise BadRequest(f"{key} must be a string of at most {limit} characters")
            return value
    if optional:
        return ""
    raise BadRequest(f"missing {keys[0]}")


def number(body: dict[str, Any], key: str, high: int) -> int:
    """A non-negative integer (a JSON number, or a decimal string) no larger than `high`."""
    value = body.get(key)
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        raise BadRequest(f"{key} must be an integer in 0..{high}")
    return value


def page(body: dict[str, Any]) -> tuple[int, int]:
    """(start, count) of a list request."""
    return number(body, "start", MAX_START), number(body, "count", MAX_PAGE)
