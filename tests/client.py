"""A WebTest client speaking both dialects the way the Qt client and /api clients do."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from webtest import TestApp

PWD = "e10adc3949ba59abbe56e057f20f883e"  # md5("123456"), as in the API document
QT_BOUNDARY = "------WebKitFormBoundary05:?DINSX]bglqv1"

# PROTOCOL.md §12: the code each outcome answers, (legacy, api).
CODES: dict[str, tuple[str, int]] = {
    "reg.ok": ("002", 0), "reg.exists": ("003", 2), "reg.fail": ("004", 1),
    "login.ok": ("000", 0), "login.fail": ("001", 1),
    "md5.ok": ("006", 0), "md5.upload": ("007", 1), "md5.have": ("005", 5), "md5.token": ("111", 4),
    "upload.ok": ("008", 0), "upload.fail": ("009", 1),
    "list.token": ("111", 1), "list.fail": ("015", 1),
    "share.ok": ("010", 0), "share.fail": ("011", 1), "share.already": ("012", 3), "share.token": ("111", 4),
    "del.ok": ("013", 0), "del.fail": ("014", 1), "del.token": ("111", 4),
    "pv.ok": ("016", 0), "pv.fail": ("017", 1), "pv.token": ("111", 4),
    "cancel.ok": ("018", 0), "cancel.fail": ("019", 1),
    "save.ok": ("020", 0), "save.have": ("021", 5), "save.fail": ("022", 1),
    "spv.ok": ("016", 0), "spv.fail": ("017", 1),
}  # fmt: skip


@dataclass(frozen=True)
class Dialect:
    name: str

    @property
    def prefix(self) -> str:
        return "/api" if self.name == "api" else ""

    def code(self, key: str) -> str | int:
        legacy, api = CODES[key]
        return api if self.name == "api" else legacy


def qt_json(body: dict[str, Any]) -> bytes:
    """QJsonDocument::toJson(): 4-space indent, sorted keys, trailing newline (§3.1)."""
    return (json.dumps(body, indent=4, sort_keys=True, ensure_ascii=False) + "\n").encode()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def qt_upload_body(
    user: str,
    name: str,
    content: bytes,
    md5: str | None = None,
    size: int | None = None,
    boundary: str = QT_BOUNDARY,
    extra: str = "",
) -> bytes:
    """The Qt client's upload body, byte for byte (PROTOCOL.md §5.1)."""
    md5 = md5 if md5 is not None else md5_hex(content)
    size = size if size is not None else len(content)
    head = (
        f"{boundary}\r\nContent-Disposition: form-data; "
        f'user="{user}" filename="{name}" md5="{md5}" {extra}size={size}\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + content + b"\r\n" + boundary.encode()


class Client:
    def __init__(self, wsgi_app: Any, remote_addr: str = "127.0.0.1") -> None:
        self.web = TestApp(wsgi_app, extra_environ={"REMOTE_ADDR": remote_addr})

    def post(self, path: str, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None):  # noqa: ANN201
        data = qt_json(body) if isinstance(body, dict) else body
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return self.web.post(path, data, headers=hdrs, expect_errors=True)

    def call(self, d: Dialect, path: str, body: dict[str, Any] | bytes, **kw: Any) -> Any:
        resp = self.post(d.prefix + path, body, **kw)
        assert resp.status_int == 200, resp
        return resp.json

    def register(self, d: Dialect, user: str, nick: str | None = None, pwd: str = PWD, **extra: Any) -> Any:
        body = {"userName": user, "nickName": nick or f"nick-{user}", "firstPwd": pwd, **extra}
        return self.call(d, "/reg", body)

    def login(self, d: Dialect, user: str, pwd: str = PWD) -> str:
        reply = self.call(d, "/login", {"user": user, "pwd": pwd})
        assert reply["code"] == d.code("login.ok"), reply
        return reply["token"]

    def user(self, d: Dialect, user: str) -> str:
        """Register `user` and log in; return the token."""
        assert self.register(d, user)["code"] == d.code("reg.ok")
        return self.login(d, user)

    def upload(self, d: Dialect, user: str, name: str, content: bytes, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.call(d, "/upload", qt_upload_body(user, name, content, **kw), headers=headers)

    def files(self, d: Dialect, user: str, token: str, cmd: str = "normal", start: int = 0, count: int = 10) -> Any:
        body = {"count": count, "start": start, "token": token, "user": user}
        return self.call(d, f"/myfiles?cmd={cmd}", body)

    def dealfile(self, d: Dialect, cmd: str, user: str, token: str, md5: str, name: str) -> Any:
        body = {"filename": name, "md5": md5, "token": token, "user": user}
        return self.call(d, f"/dealfile?cmd={cmd}", body)
