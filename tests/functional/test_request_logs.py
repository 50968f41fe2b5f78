"""Issue 15: a refused request logs one INFO line with the operation, the reason and the request
id, which the client gets back in X-Request-Id. No password or token appears in any log line."""

from __future__ import annotations

import json
import logging

import pytest

from tests.client import PWD, Client, Dialect, md5_hex
from tuchuang.config import Config
from tuchuang.logs import JsonFormatter, RequestIdFilter

API, LEGACY = Dialect("api"), Dialect("legacy")


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.INFO and " refused (" in r.getMessage()]


def test_each_kind_of_refusal_says_why(app: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    token = app.user(API, "alice")
    app.upload(API, "alice", "a.txt", b"alice's", token=token)
    cases = [
        ("/api/login", {"user": "alice", "pwd": md5_hex(b"wrong")}, "api login refused (fail)"),
        ("/api/reg", {"userName": "alice", "nickName": "x", "firstPwd": PWD}, "api reg refused (user_exists)"),
        ("/api/myfiles?cmd=count", {"user": "alice", "token": "0" * 32}, "api myfiles.count refused (token_invalid)"),
        ("/api/dealfile?cmd=share", {"user": "alice", "token": token, "md5": md5_hex(b"alice's"), "filename": "a.txt"},
         None),  # shared: no refusal
        ("/api/dealfile?cmd=share", {"user": "alice", "token": token, "md5": md5_hex(b"alice's"), "filename": "a.txt"},
         "api dealfile.share refused (already_shared)"),
        ("/api/sharepic?cmd=browse", {"urlmd5": "f" * 32}, "api sharepic.browse refused (not_found)"),
        ("/api/myfiles?cmd=normal", b"{not json", "api myfiles.list refused (bad request): invalid JSON"),
        ("/dealfile?cmd=share", {"user": "alice", "token": token, "md5": md5_hex(b"none"), "filename": "n"},
         "legacy dealfile.share refused (fail)"),
    ]  # fmt: skip
    for path, body, expected in cases:
        caplog.clear()
        reply = app.post(path, body)
        lines = refusals(caplog)
        if expected is None:
            assert lines == []
            continue
        assert len(lines) == 1, (path, [r.getMessage() for r in caplog.records])
        assert lines[0].getMessage().startswith(expected), lines[0].getMessage()
        assert lines[0].request_id == reply.headers["X-Request-Id"]  # the line carries the client's id
    assert token not in caplog.text and PWD not in caplog.text


def test_a_request_id_from_nginx_is_kept_and_a_bad_one_replaced(app: Client) -> None:
    reply = app.post("/api/login", {"user": "nobody", "pwd": PWD}, {"X-Request-Id": "0123456789abcdef0123"})
    assert reply.headers["X-Request-Id"] == "0123456789abcdef0123"
    reply = app.post("/api/login", {"user": "nobody", "pwd": PWD}, {"X-Request-Id": "bad id\r\nX-Evil: 1"})
    assert len(reply.headers["X-Request-Id"]) == 16 and "Evil" not in reply.headers["X-Request-Id"]
    assert app.web.get("/healthz").headers["X-Request-Id"] != app.web.get("/healthz").headers["X-Request-Id"]


def test_json_log_lines() -> None:
    record = logging.LogRecord("tuchuang.x", logging.INFO, __file__, 1, "api %s refused", ("login",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "api login refused" and line["level"] == "INFO" and line["request_id"] == "-"
    assert Config(log_format="json").log_format == "json"
