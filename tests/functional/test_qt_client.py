"""Replay the Qt desktop client's exact requests (PROTOCOL.md §3.1, §4.5, §4.6, §5.1, §14)."""

from __future__ import annotations

import hashlib
import json

from tests.client import PWD

QT_HEADERS = {
    "Content-Type": "application/json",
    "Connection": "Keep-Alive",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "en,*",
    "User-Agent": "Mozilla/5.0",
}
BOUNDARY = "------WebKitFormBoundary05:?<>[\\]^_DINSX"  # qrand() chars '0'..'y' include : ? < > [ \ ] ^ _
NAME = "我的 文件 v2.txt"


def qt(body: dict) -> bytes:
    return (json.dumps(body, indent=4, sort_keys=True, ensure_ascii=False) + "\n").encode()


def post(app, path: str, data: bytes, **headers: str):
    resp = app.web.post(path, data, headers={**QT_HEADERS, **headers}, expect_errors=True)
    assert resp.status_int == 200
    return resp


def test_qt_session_register_login_upload_list_download(app):
    reg = {
        "email": "472251823@qq.com",
        "firstPwd": PWD,
        "nickName": "milo",
        "phone": "18612345678",
        "userName": "milo",
    }
    assert post(app, "/reg", qt(reg)).body == b'{"code":"002"}'
    login = json.loads(post(app, "/login", qt({"pwd": PWD, "user": "milo"})).body)
    assert login["code"] == "000"
    token = login["token"]

    content = b"hello\r\n" + BOUNDARY.encode() + b"\r\nstill the file\r\n"  # payload holding the boundary
    digest = hashlib.md5(content).hexdigest()
    md5_req = {"fileName": NAME, "md5": digest, "token": token, "user": "milo"}
    assert json.loads(post(app, "/md5", qt(md5_req)).body) == {"code": "007"}

    body = (
        (
            BOUNDARY + "\r\n"
            "Content-Disposition: form-data; "
            f'user="milo" filename="{NAME}" md5="{digest}" size={len(content)}\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
        + BOUNDARY.encode()
    )
    assert json.loads(post(app, "/upload", body).body) == {"code": "008"}

    # §4.5: the client reads the status from key "token" and "num" must be a string
    count = json.loads(post(app, "/myfiles?cmd=count", qt({"token": token, "user": "milo"})).body)
    assert count["token"] == "110" and count["num"] == "1" and isinstance(count["num"], str)

    page = qt({"count": 1, "start": 0, "token": token, "user": "milo"})
    listing = json.loads(post(app, "/myfiles?cmd=normal", page).body)
    assert listing["code"] != "015" and listing["code"] != "111"
    item = listing["files"][0]
    for key in ("user", "md5", "create_time", "file_name", "url", "type", "time", "filename"):
        assert isinstance(item[key], str), key
    for key in ("share_status", "pv", "size"):
        assert isinstance(item[key], int), key
    assert item["file_name"] == item["filename"] == NAME and item["type"] == "txt"
    assert item["md5"] == digest and item["size"] == len(content)

    path = item["url"].split("localhost:80", 1)[1]
    assert app.web.get(path).body == content
    pv = {"filename": NAME, "md5": digest, "token": token, "user": "milo"}
    assert json.loads(post(app, "/dealfile?cmd=pv", qt(pv)).body) == {"code": "016"}
    assert json.loads(post(app, "/dealfile?cmd=del", qt(pv)).body) == {"code": "013"}


def test_qt_sees_a_bad_token_as_111_everywhere(app):
    post(app, "/reg", qt({"email": "", "firstPwd": PWD, "nickName": "milo", "phone": "", "userName": "milo"}))
    bad = {"token": "tok123", "user": "milo"}
    assert json.loads(post(app, "/myfiles?cmd=count", qt(bad)).body)["token"] == "111"
    assert json.loads(post(app, "/myfiles?cmd=normal", qt({**bad, "count": 10, "start": 0})).body) == {"code": "111"}
    assert json.loads(post(app, "/md5", qt({**bad, "fileName": "a", "md5": "0" * 32})).body) == {"code": "111"}
    deal = qt({**bad, "filename": "a", "md5": "0" * 32})
    for cmd in ("del", "pv"):
        assert json.loads(post(app, f"/dealfile?cmd={cmd}", deal).body) == {"code": "111"}


def test_qt_responses_are_single_writes_with_content_length(app):
    resp = post(app, "/login", qt({"pwd": PWD, "user": "nobody"}))
    assert resp.headers["Content-Length"] == str(len(resp.body))
    assert json.loads(resp.body) == {"code": "001", "token": "fail"}
