"""Issue 15: the /api request fields are declared once (protocol/fields.py). This checks, for every
endpoint and cmd, which declared fields the handler reads, that the OpenAPI document describes each
of them with exactly its declaration, and that the handler refuses one character (or one) more than
the declared limit and takes the limit itself. Changing a limit in one place only fails here."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.client import PWD, Client, Dialect, md5_hex
from tuchuang.protocol import fields as F
from tuchuang.protocol.openapi import spec

API = Dialect("api")
CALLS = [
    ("reg", None), ("login", None), ("md5", None),
    ("myfiles", "count"), ("myfiles", "normal"), ("myfiles", "pvasc"), ("myfiles", "pvdesc"),
    ("dealfile", "share"), ("dealfile", "pv"), ("dealfile", "del"),
    ("sharefiles", "count"), ("sharefiles", "normal"), ("sharefiles", "pvdesc"),
    ("dealsharefile", "pv"), ("dealsharefile", "save"), ("dealsharefile", "cancel"),
    ("sharepic", "share"), ("sharepic", "normal"), ("sharepic", "cancel"), ("sharepic", "browse"),
    ("logout", None),  # last: it ends the session the others use
]  # fmt: skip


def valid_body(token: str) -> dict[str, Any]:
    return {
        "user": "alice", "token": token, "md5": md5_hex(b"alice's"), "filename": "a.png", "fileName": "a.png",
        "userName": "bob", "nickName": "bob", "firstPwd": PWD, "pwd": PWD, "phone": "", "email": "",
        "urlmd5": "0" * 32, "start": 0, "count": 1,
    }  # fmt: skip


def path_of(name: str, cmd: str | None) -> str:
    return f"/api/{name}" + (f"?cmd={cmd}" if cmd else "")


@pytest.fixture
def reads(app: Client, monkeypatch: pytest.MonkeyPatch) -> tuple[Client, str, dict]:
    """Each call once, with a valid body, recording the declared fields its handler reads."""
    token = app.user(API, "alice")
    app.upload(API, "alice", "a.png", b"alice's", token=token)
    seen: dict[tuple[str, str | None], list[Any]] = {}
    current: list[Any] = []
    text_read, whole_read = F.Text.read, F.Whole.read

    def record_text(self: F.Text, body: dict) -> str:
        current.append(self)
        return text_read(self, body)

    def record_whole(self: F.Whole, body: dict) -> int:
        current.append(self)
        return whole_read(self, body)

    monkeypatch.setattr(F.Text, "read", record_text)
    monkeypatch.setattr(F.Whole, "read", record_whole)
    for name, cmd in CALLS:
        current.clear()
        app.post(path_of(name, cmd), valid_body(token))
        seen[(name, cmd)] = list(dict.fromkeys(current))
    monkeypatch.setattr(F.Text, "read", text_read)
    monkeypatch.setattr(F.Whole, "read", whole_read)
    return app, token, seen


def test_the_document_describes_each_field_as_declared(reads: tuple) -> None:
    _, _, seen = reads
    document = spec()["paths"]
    for (name, _cmd), read in seen.items():
        method = "post"
        content = document[f"/api/{name}"][method].get("requestBody", {}).get("content", {})
        properties = content.get("application/json", {}).get("schema", {}).get("properties", {})
        for declared in read:
            documented = properties.get(declared.name) or properties.get(getattr(declared, "keys", ("",))[-1])
            assert documented == declared.schema(), (name, declared.name, documented)
    assert sum(len(r) for r in seen.values()) > 40  # the recording saw the handlers read


def test_the_handlers_enforce_each_declared_limit(reads: tuple, caplog: pytest.LogCaptureFixture) -> None:
    app, _, seen = reads
    token = app.login(API, "alice")  # the recording ended with a logout
    caplog.set_level(logging.INFO)
    checked = 0
    for (name, cmd), read in seen.items():
        for declared in read:
            if isinstance(declared, F.Text):
                over, at = "x" * (declared.limit + 1), "x" * declared.limit
                complaint = f"{declared.name} must be a string of at most {declared.limit} characters"
            else:
                over, at = declared.high + 1, declared.high
                complaint = f"{declared.name} must be an integer in 0..{declared.high}"
            body = valid_body(token)
            for key in getattr(declared, "keys", (declared.name,)):
                body.pop(key, None)
            caplog.clear()
            app.post(path_of(name, cmd), {**body, declared.name: over})
            assert complaint in caplog.text, (name, cmd, declared.name, caplog.text)
            caplog.clear()
            app.post(path_of(name, cmd), {**body, declared.name: at})
            assert complaint not in caplog.text, (name, cmd, declared.name)
            checked += 1
    assert checked > 40


def test_every_documented_field_is_read_through_its_declaration(reads: tuple) -> None:
    """A handler that read a documented field some other way (with a limit of its own) would not
    be checked above: every documented JSON field of a path must be read through a declaration."""
    _, _, seen = reads
    document = spec()["paths"]
    read_by_path: dict[str, set[str]] = {}
    for (name, _cmd), read in seen.items():
        for declared in read:
            read_by_path.setdefault(name, set()).update(getattr(declared, "keys", (declared.name,)))
    for path, operations in document.items():
        name = path.removeprefix("/api/")
        content = operations.get("post", {}).get("requestBody", {}).get("content", {})
        documented = content.get("application/json", {}).get("schema", {}).get("properties", {})
        missing = set(documented) - read_by_path.get(name, set())
        assert not missing, (path, missing)


def test_no_handler_reads_a_field_with_a_limit_of_its_own() -> None:
    import ast
    from pathlib import Path

    import tuchuang.protocol

    for module in Path(tuchuang.protocol.__file__).parent.glob("*.py"):
        if module.name == "fields.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                assert called not in ("text", "number"), f"{module.name}:{node.lineno} reads a field undeclared"
