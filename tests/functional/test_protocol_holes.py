"""PROTOCOL.md §11: each hole of the original servers, as a test the original would fail.

Holes covered elsewhere, by name: §11.3 test_files.py::test_upload_needs_a_session_of_the_named_user
and ::test_legacy_upload_without_token_uses_the_session_ip_policy; §11.6
test_files.py::test_delete_of_someone_elses_file_changes_nothing and test_sharing.py::
test_share_codes_and_square; §11.7 test_races.py; §11.8 test_files.py::test_fresh_user_counts_zero_and_lists_empty;
§11.11 test_malformed.py; §11.12 test_accounts.py::test_password_is_stored_hashed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.client import PWD, Client, Dialect, md5_hex

INJECTIONS = [
    "x' OR '1'='1",
    "a'; DROP TABLE user_info; --",
    'q" UNION SELECT password FROM user_info --',
    "\\'; DELETE FROM file_info; #",
]


def test_11_1_sql_is_never_built_from_input(app, dialect, services) -> None:
    token = app.user(dialect, "alice")
    for i, evil in enumerate(INJECTIONS):
        content = f"content {i}".encode()
        md5_body = {"user": "alice", "token": token, "md5": md5_hex(content), "fileName": evil}
        assert app.upload(dialect, "alice", f"seed{i}.txt", content, token=token)["code"] == dialect.code("upload.ok")
        assert app.call(dialect, "/md5", md5_body)["code"] == dialect.code("md5.ok")  # stored as data
        login = app.call(dialect, "/login", {"user": evil[:32], "pwd": PWD})
        assert login["code"] == dialect.code("login.fail")  # and never logs anyone in
    names = {f["file_name"] for f in app.files(dialect, "alice", token, count=100)["files"]}
    assert set(INJECTIONS) <= names  # literally, every one
    assert app.login(dialect, "alice")  # the tables are all still there
    with services.store.read() as tx:
        assert tx.count_user_files("alice") == 2 * len(INJECTIONS)


def test_11_2_file_names_never_become_paths(app, dialect, services, tmp_path: Path) -> None:
    token = app.user(dialect, "alice")
    before = set(Path(os.getcwd()).iterdir())
    for i, name in enumerate(["../../escape.txt", "/etc/cron.d/evil", "..\\..\\win.txt", "a/b/../../c.sh"]):
        reply = app.upload(dialect, "alice", name, f"payload {i}".encode(), token=token)
        assert reply["code"] == dialect.code("upload.ok")
    assert set(Path(os.getcwd()).iterdir()) == before
    stored = list(services.blobs.root.rglob("*"))
    assert all(".." not in p.name and "escape" not in p.name and "evil" not in p.name for p in stored)
    for item in app.files(dialect, "alice", token)["files"]:  # served under generated ids only
        assert "/group1/M00/" in item["url"] and "escape" not in item["url"]


def test_11_4_dealsharefile_cannot_act_for_another_user(app, dialect) -> None:
    owner = app.user(dialect, "owner")
    app.upload(dialect, "owner", "o.txt", b"owned", token=owner)
    assert app.dealfile(dialect, "share", "owner", owner, md5_hex(b"owned"), "o.txt") == {
        "code": dialect.code("share.ok")
    }
    app.user(dialect, "mallory")
    key = {"md5": md5_hex(b"owned"), "filename": "o.txt"}
    cancel = app.call(dialect, "/dealsharefile?cmd=cancel", {"user": "mallory", **key})
    assert cancel == {"code": dialect.code("cancel.fail")}  # not her share
    cancel = app.call(dialect, "/dealsharefile?cmd=cancel", {"user": "owner", "token": "0" * 32, **key})
    assert cancel == {"code": dialect.code("cancel.fail")}  # a wrong token is refused, not ignored
    app.register(dialect, "victim")  # never logged in: no session
    save = app.call(dialect, "/dealsharefile?cmd=save", {"user": "victim", **key})
    assert save == {"code": dialect.code("save.fail")}  # files are not pushed into idle accounts
    square = app.call(dialect, "/sharefiles?cmd=normal", {"start": 0, "count": 10})
    assert [f["file_name"] for f in square["files"]] == ["o.txt"]  # still shared


def test_11_5_sharepic_checks_the_token(app) -> None:
    api = Dialect("api")
    token = app.user(api, "pat")
    app.upload(api, "pat", "p.png", b"\x89PNG pic", token=token)
    body = {"user": "pat", "md5": md5_hex(b"\x89PNG pic"), "filename": "p.png"}
    for bad in ("", "0" * 32, token[::-1]):
        assert app.call(api, "/sharepic?cmd=share", {**body, "token": bad}) == {"code": 4}
    assert app.call(api, "/sharepic?cmd=normal", {"user": "pat", "token": "", "start": 0, "count": 10})["code"] == 1


@pytest.mark.parametrize("token", ["", " ", "null", "0" * 32, "a" * 31, None, 0, [], {}])
def test_11_9_empty_or_unknown_tokens_never_verify(app, dialect, token) -> None:
    app.user(dialect, "alice")
    body = {"user": "alice", "token": token, "start": 0, "count": 10}
    listing = app.call(dialect, "/myfiles?cmd=normal", body)
    assert listing["code"] in (1, "111", "015") and "files" not in listing  # "015": not even a string
    assert app.call(dialect, "/myfiles?cmd=count", body)["code"] in (1, "111")
    key = {"user": "alice", "token": token, "md5": "0" * 32, "filename": "a"}
    assert app.call(dialect, "/dealfile?cmd=pv", key)["code"] != dialect.code("pv.ok")


@pytest.mark.parametrize("pwd", ["", md5_hex(b""), "0" * 32])
def test_11_10_unknown_user_never_logs_in(app, dialect, pwd: str) -> None:
    for user in ("ghost", ""):
        assert app.call(dialect, "/login", {"user": user, "pwd": pwd})["code"] == dialect.code("login.fail")


@pytest.mark.parametrize("field", ["user", "token", "md5", "filename", "start", "count"])
@pytest.mark.parametrize("value", [1, 1.5, None, True, [], {"a": 1}, "x" * 10_000])
def test_11_11_wrong_json_types_are_a_failure_code(app, dialect, field: str, value) -> None:
    token = app.user(dialect, "alice")
    body = {"user": "alice", "token": token, "md5": "0" * 32, "filename": "a", "start": 0, "count": 10}
    for path in ("/myfiles?cmd=normal", "/dealfile?cmd=del", "/dealsharefile?cmd=save", "/md5"):
        reply = app.post(dialect.prefix + path, {**body, field: value})
        assert reply.status_int == 200 and "code" in reply.json


def test_11_13_urls_follow_the_host_not_the_database(app, dialect, services) -> None:
    token = app.user(dialect, "alice")
    app.upload(dialect, "alice", "u.txt", b"where am I", token=token)
    with services.store.read() as tx:
        [(_, file_id, _)] = tx.fsck_files()
    assert file_id.startswith("group1/M00/") and "://" not in file_id
    other = Client(app.web.app)
    other.web.extra_environ["HTTP_HOST"] = "pics.example.org:8081"
    [item] = other.files(dialect, "alice", token)["files"]
    assert item["url"] == f"http://pics.example.org:8081/{file_id}"


def test_11_14_names_with_spaces_in_the_ranking(app, dialect) -> None:
    token = app.user(dialect, "alice")
    name = "my holiday photo 2024 .jpg"
    app.upload(dialect, "alice", name, b"spaces", token=token)
    assert app.dealfile(dialect, "share", "alice", token, md5_hex(b"spaces"), name)["code"] == dialect.code("share.ok")
    pv = {"user": "alice", "token": token, "md5": md5_hex(b"spaces"), "filename": name}
    assert app.call(dialect, "/dealsharefile?cmd=pv", pv) == {"code": dialect.code("spv.ok")}
    ranking = app.call(dialect, "/sharefiles?cmd=pvdesc", {"start": 0, "count": 10})
    assert ranking["files"] == [{"filename": name, "pv": 1}]
