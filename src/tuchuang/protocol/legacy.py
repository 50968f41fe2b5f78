"""The legacy dialect of the Qt desktop client: string codes and its quirks (PROTOCOL.md §12.2).

Each quirk names the client behaviour it serves.
"""

from __future__ import annotations

from typing import Any

from tuchuang.protocol.api import dump
from tuchuang.protocol.replies import Reply
from tuchuang.services.outcomes import Outcome

NAME = "legacy"
OK, FAIL, TOKEN = Outcome.OK, Outcome.FAIL, Outcome.TOKEN_INVALID
# Per operation: outcome -> code. An outcome missing from a row answers that row's FAIL code.
CODES: dict[str, dict[Outcome, str]] = {
    "reg": {OK: "002", Outcome.USER_EXISTS: "003", FAIL: "004"},
    "login": {OK: "000", FAIL: "001"},
    # §4.3: the client only moves on for 005/006/007/111; any error must read as "upload".
    "md5": {OK: "006", Outcome.UPLOAD_NEEDED: "007", Outcome.ALREADY_HAVE: "005", TOKEN: "111", FAIL: "007"},
    "upload": {OK: "008", FAIL: "009"},
    "myfiles.count": {OK: "110", TOKEN: "111", FAIL: "111"},
    "myfiles.list": {TOKEN: "111", FAIL: "015"},
    "myfiles": {TOKEN: "111", FAIL: "015"},
    "dealfile.share": {OK: "010", Outcome.ALREADY_SHARED: "012", TOKEN: "111", FAIL: "011"},
    "dealfile.del": {OK: "013", TOKEN: "111", FAIL: "014"},
    "dealfile.pv": {OK: "016", TOKEN: "111", FAIL: "017"},
    "dealfile": {TOKEN: "111", FAIL: "011"},
    "sharefiles.list": {FAIL: "015"},
    "sharefiles.ranking": {FAIL: "015"},
    "sharefiles": {FAIL: "015"},
    "dealsharefile.cancel": {OK: "018", FAIL: "019"},
    "dealsharefile.save": {OK: "020", Outcome.ALREADY_HAVE: "021", FAIL: "022"},
    "dealsharefile.pv": {OK: "016", FAIL: "017"},
    "dealsharefile": {FAIL: "022"},
}
_LISTS = {"myfiles.list", "sharefiles.list"}
_JSON = "application/json; charset=utf-8"


def code(op: str, outcome: Outcome) -> str:
    row = CODES.get(op, {})
    return row.get(outcome, row.get(FAIL, "fail"))


def render(op: str, reply: Reply) -> tuple[bytes, str]:
    ok = reply.outcome is Outcome.OK
    if op == "sharefiles.count":
        # §4.10: the client reads the body with toLong(); JSON would count as 0.
        return str(reply.fields["total"] if ok else 0).encode(), "text/plain; charset=utf-8"
    if op == "myfiles.count":
        # §4.5: the client reads the status from key "token" and needs "num" as a string.
        status = code(op, reply.outcome)
        num = str(reply.fields["total"]) if ok else "0"
        return dump({"code": status, "token": status, "num": num}), _JSON
    if op == "login":
        token = reply.fields["token"] if ok else "fail"
        return dump({"code": code(op, reply.outcome), "token": token}), _JSON
    if ok and reply.items is not None:
        # §0.3: list bodies keep the /api shape (the client ignores an integer code);
        # 2017 clients read "time"/"filename", so items carry both key sets.
        items = [_with_2017_keys(item) for item in reply.items] if op in _LISTS else reply.items
        return dump({"code": 0, **reply.fields, "files": items}), _JSON
    return dump({"code": code(op, reply.outcome), **(reply.fields if ok else {})}), _JSON


def _with_2017_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "time": item["create_time"], "filename": item["file_name"]}
