"""Read untrusted JSON bodies and their fields; any defect is BadRequest (the endpoint's fail code).

The fields of the protocol are declared once, below: the handlers read requests with them, and the
OpenAPI document (openapi.py) describes request bodies from them, so the two cannot disagree on a
limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

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
        data = orjson.loads(raw)  # several times json.loads's speed (BENCHMARKS.md)
    except orjson.JSONDecodeError:  # also: invalid UTF-8, lone surrogates, nesting over 1024
        raise BadRequest("invalid JSON: JSONDecodeError") from None
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
    return START.read(body), COUNT.read(body)


@dataclass(frozen=True)
class Text:
    """A string field: its key (then the aliases clients also send), its longest length."""

    keys: tuple[str, ...]
    limit: int
    optional: bool = False
    doc: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.keys[0]

    def read(self, body: dict[str, Any]) -> str:
        return text(body, *self.keys, limit=self.limit, optional=self.optional)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.limit, **self.doc}


@dataclass(frozen=True)
class Whole:
    """A non-negative integer field (a JSON number or a decimal string) up to `high`."""

    name: str
    high: int

    def read(self, body: dict[str, Any]) -> int:
        return number(body, self.name, self.high)

    def schema(self) -> dict[str, Any]:
        return {"type": ["integer", "string"], "minimum": 0, "maximum": self.high, "pattern": "^[0-9]+$"}


HEX32 = {"pattern": "^[0-9a-fA-F]{32}$"}
USER = Text(("user",), 32, doc={"minLength": 1})
TOKEN = Text(("token",), 64, doc={"description": "32 hex characters from /api/login"})
TOKEN_OPTIONAL = Text(("token",), 64, optional=True, doc=TOKEN.doc)
MD5 = Text(("md5",), 64, doc={"description": "hex md5 of the content (32 characters)"})
FILE_NAME = Text(("filename", "fileName"), 128, doc={"minLength": 1})
FILE_NAME_QT = Text(("fileName", "filename"), 128, doc={"minLength": 1})  # §4.3: Qt sends camelCase
USER_NAME = Text(("userName",), 32, doc={"minLength": 1})
NICK_NAME = Text(("nickName",), 32, doc={"minLength": 1})
FIRST_PWD = Text(("firstPwd",), 64, doc={"description": "md5 hex of the password (32 characters)"})
PWD = Text(("pwd",), 64, doc=FIRST_PWD.doc)
PHONE = Text(("phone",), 16, optional=True)
EMAIL = Text(("email",), 64, optional=True)
URLMD5 = Text(("urlmd5",), 64, doc={"description": "a picture link's id"})
START = Whole("start", MAX_START)
COUNT = Whole("count", MAX_PAGE)
