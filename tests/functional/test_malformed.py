"""Malformed input on every endpoint gets its failure code with HTTP 200 (DECISIONS.md D1)."""

from __future__ import annotations

import json

import pytest

from tests.client import PWD, md5_hex

MD5 = md5_hex(b"hello")
# path, a valid body ({token} filled in), expected failure code (legacy, api)
ENDPOINTS = [
    ("/reg", {"userName": "newuser", "nickName": "newnick", "firstPwd": PWD, "email": "a@b.cn", "phone": "1"}, ("004", 1)),
    ("/login", {"user": "kevin", "pwd": PWD}, ("001", 1)),
    ("/md5", {"user": "kevin", "token": "{token}", "md5": MD5, "fileName": "a.txt"}, ("007", 1)),
    ("/myfiles?cmd=count", {"user": "kevin", "token": "{token}"}, ("111", 1)),
    ("/myfiles?cmd=normal", {"user": "kevin", "token": "{token}", "start": 0, "count": 10}, ("015", 1)),
    ("/myfiles?cmd=pvasc", {"user": "kevin", "token": "{token}", "start": 0, "count": 10}, ("015", 1)),
    ("/myfiles?cmd=pvdesc", {"user": "kevin", "token": "{token}", "start": 0, "count": 10}, ("015", 1)),
    ("/dealfile?cmd=del", {"user": "kevin", "token": "{token}", "md5": MD5, "filename": "a.txt"}, ("014", 1)),
    ("/dealfile?cmd=pv", {"user": "kevin", "token": "{token}", "md5": MD5, "filename": "a.txt"}, ("017", 1)),
    ("/dealfile?cmd=share", {"user": "kevin", "token": "{token}", "md5": MD5, "filename": "a.txt"}, ("011", 1)),
    ("/sharefiles?cmd=normal", {"start": 0, "count": 10}, ("015", 1)),
    ("/sharefiles?cmd=pvdesc", {"start": 0, "count": 10}, ("015", 1)),
    ("/dealsharefile?cmd=cancel", {"user": "kevin", "md5": MD5, "filename": "a.txt"}, ("019", 1)),
    ("/dealsharefile?cmd=save", {"user": "kevin", "md5": MD5, "filename": "a.txt"}, ("022", 1)),
    ("/dealsharefile?cmd=pv", {"user": "kevin", "md5": MD5, "filename": "a.txt"}, ("017", 1)),
]  # fmt: skip
WRONG_TYPES = [1, 1.5, True, [], {}, ["a"], {"a": 1}]
OPTIONAL = {"email", "phone"}


def variants(body):
    """(label, raw body) of every malformed version of `body`."""
    yield "empty", b""
    yield "not json", b"{not json"
    yield "array", b"[]"
    yield "string", b'"kevin"'
    yield "invalid utf-8", b'{"user": "\xff\xfe"}'
    yield "huge", b'{"user": "' + b"x" * 200_000 + b'"}'
    for key in body:
        if key in ("start", "count"):
            wrong = ["ten", -1, 10**12, 1.5, None, True]
        else:
            wrong = WRONG_TYPES + ["x" * 10_000]
        if key not in OPTIONAL:
            yield f"{key} missing", json.dumps({k: v for k, v in body.items() if k != key}).encode()
        for value in wrong:
            yield f"{key}={value!r:.20}", json.dumps({**body, key: value}).encode()


@pytest.fixture
def token(app, dialect):
    return app.user(dialect, "kevin")


@pytest.mark.parametrize(("path", "body", "codes"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_malformed_bodies(app, dialect, token, path, body, codes):
    body = {k: (token if v == "{token}" else v) for k, v in body.items()}
    expected = codes[0] if dialect.name == "legacy" else codes[1]
    for label, raw in variants(body):
        resp = app.post(dialect.prefix + path, raw)
        assert resp.status_int == 200, label
        assert resp.json["code"] == expected, (label, resp.json)
    # the valid body is not itself a failure (so the table proves something)
    if not path.startswith(("/md5", "/dealfile", "/dealsharefile")):  # those need a stored file
        assert app.post(dialect.prefix + path, json.dumps(body).encode()).json["code"] != expected


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("/myfiles?cmd=bogus", ("015", 1)),
        ("/myfiles", ("015", 1)),
        ("/dealfile?cmd=bogus", ("011", 1)),
        ("/dealfile", ("011", 1)),
    ],
)
def test_unknown_or_missing_cmd(app, dialect, token, path, codes):
    body = {"user": "kevin", "token": token, "md5": MD5, "filename": "a.txt", "start": 0, "count": 1}
    assert app.call(dialect, path, body)["code"] == (codes[0] if dialect.name == "legacy" else codes[1])


@pytest.mark.parametrize(
    "raw",
    [b"", b"garbage", b"------B\r\n\r\n", b"------B\r\nContent-Disposition: form-data; user=\"kevin\"\r\n\r\nabc",
     b"-" * 100_000, b"\r\n" * 1000, b"------B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx"],
)  # fmt: skip
def test_malformed_uploads(app, dialect, token, raw, config, services):
    resp = app.post(dialect.prefix + "/upload", raw, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_int == 200
    assert resp.json == {"code": "009" if dialect.name == "legacy" else 1}
    spool = config.effective_spool_dir
    assert not spool.exists() or not list(spool.iterdir())
    assert not list(services.blobs.file_ids())


def test_oversized_upload_is_refused_without_reading_it(app, dialect, token, config):
    from tests.client import Client, qt_upload_body
    from tests.conftest import FAST_HASHER
    from tuchuang.app import build_services, create_app

    body = qt_upload_body("kevin", "a.bin", b"x" * 2000)
    small = config.replace(max_upload_bytes=1000)
    services = build_services(small, hasher=FAST_HASHER)
    client = Client(create_app(small, services))
    t = client.login(dialect, "kevin")
    resp = client.post(dialect.prefix + "/upload", body, headers={"Authorization": f"Bearer {t}"})
    assert resp.status_int == 200 and resp.json["code"] == ("009" if dialect.name == "legacy" else 1)
    spool = small.effective_spool_dir
    assert not spool.exists() or not list(spool.iterdir())
    ok = client.post(
        dialect.prefix + "/upload",
        qt_upload_body("kevin", "a.bin", b"x" * 100),
        headers={"Authorization": f"Bearer {t}"},
    )
    assert ok.json["code"] == ("008" if dialect.name == "legacy" else 0)
    assert not list(spool.iterdir())
    services.store.close()


@pytest.mark.parametrize(
    ("cmd", "body"),
    [("share", {"user": "kevin", "token": "{token}", "md5": MD5, "filename": "a.png"}),
     ("normal", {"user": "kevin", "token": "{token}", "start": 0, "count": 10}),
     ("cancel", {"user": "kevin", "token": "{token}", "urlmd5": "0" * 32}),
     ("browse", {"urlmd5": "0" * 32}),
     ("bogus", {"user": "kevin"})],
)  # fmt: skip
def test_malformed_sharepic(app, cmd, body):
    from tests.client import Dialect

    api = Dialect("api")
    token = app.user(api, "kevin")
    body = {k: (token if v == "{token}" else v) for k, v in body.items()}
    for label, raw in variants(body):
        resp = app.post(f"/api/sharepic?cmd={cmd}", raw)
        assert resp.status_int == 200, label
        assert resp.json["code"] == 1, (label, resp.json)


def test_crafted_inputs_are_bad_input_not_errors(app, caplog) -> None:  # noqa: ANN001
    """Deep JSON nesting, back-to-back multipart boundaries: the failure code, no ERROR traceback."""
    import logging

    caplog.set_level(logging.DEBUG)
    assert app.post("/login", b"[" * 20000).json == {"code": "001", "token": "fail"}
    assert app.post("/api/myfiles?cmd=count", b'{"user":' + b"[" * 20000 + b"]}").json["code"] == 1
    body = b"--xyz\r\n--xyz\r\n--xyz\r\n--xyz--\r\n"
    ctype = {"Content-Type": "multipart/form-data; boundary=xyz"}
    assert app.post("/api/upload", body, headers=ctype).json == {"code": 1}
    absurd = (  # a declared size far beyond the body, and beyond any file
        b'--b\r\nContent-Disposition: form-data; user="u" filename="a" '
        b'md5="d41d8cd98f00b204e9800998ecf8427e" size=999999999999999999\r\n\r\nabc\r\n--b'
    )
    assert app.post("/upload", absurd).json == {"code": "009"}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
