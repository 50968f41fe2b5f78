"""md5, upload, myfiles, dealfile del/pv in both dialects (PROTOCOL.md §4.3-§4.9, D5)."""

from __future__ import annotations

import pytest

from tests.client import md5_hex, qt_upload_body

HELLO = b"hello"
HELLO_MD5 = md5_hex(HELLO)


def md5_call(app, d, user, token, md5, name, key="fileName"):
    return app.call(d, "/md5", {key: name, "md5": md5, "token": token, "user": user})


def test_md5_codes(app, dialect):
    token = app.user(dialect, "kevin")
    assert md5_call(app, dialect, "kevin", "0" * 32, HELLO_MD5, "a.txt") == {"code": dialect.code("md5.token")}
    assert md5_call(app, dialect, "kevin", token, HELLO_MD5, "a.txt") == {"code": dialect.code("md5.upload")}
    assert app.upload(dialect, "kevin", "a.txt", HELLO, token=token) == {"code": dialect.code("upload.ok")}
    assert md5_call(app, dialect, "kevin", token, HELLO_MD5, "a.txt") == {"code": dialect.code("md5.have")}
    # the same content under another name is an instant upload; lowercase key accepted too
    assert md5_call(app, dialect, "kevin", token, HELLO_MD5, "b.txt", key="filename") == {
        "code": dialect.code("md5.ok")
    }
    names = sorted(f["file_name"] for f in app.files(dialect, "kevin", token)["files"])
    assert names == ["a.txt", "b.txt"]


def test_instant_upload_can_be_switched_off(app, dialect, services):
    token = app.user(dialect, "kevin")
    app.upload(dialect, "kevin", "a.txt", HELLO, token=token)
    services.files.instant_upload_enabled = False
    assert md5_call(app, dialect, "kevin", token, HELLO_MD5, "b.txt") == {"code": dialect.code("md5.upload")}
    # the real upload still dedups the blob
    assert app.upload(dialect, "kevin", "b.txt", HELLO, token=token) == {"code": dialect.code("upload.ok")}
    with services.store.read() as tx:
        assert tx.file(HELLO_MD5).count == 2


def test_upload_rejects_wrong_md5_or_size_and_records_nothing(app, dialect, services):
    token = app.user(dialect, "kevin")
    fail = {"code": dialect.code("upload.fail")}
    assert app.upload(dialect, "kevin", "a.txt", HELLO, token=token, md5="0" * 32) == fail
    assert app.upload(dialect, "kevin", "a.txt", HELLO, token=token, size=4) == fail
    assert app.upload(dialect, "kevin", "a.txt", HELLO, token=token, size=6) == fail
    assert app.files(dialect, "kevin", token)["total"] == 0
    assert not list(services.blobs.file_ids())
    assert not list((services.blobs.root / "tmp").iterdir())
    # A known md5 with other bytes behind it gets no reference to the stored content either.
    other = app.user(dialect, "olga")
    assert app.upload(dialect, "olga", "h.txt", HELLO, token=other) == {"code": dialect.code("upload.ok")}
    forged = app.upload(dialect, "kevin", "h.txt", b"not hello", token=token, md5=md5_hex(HELLO), size=len(HELLO))
    assert forged == fail
    assert app.files(dialect, "kevin", token)["total"] == 0
    assert len(list(services.blobs.file_ids())) == 1


def test_upload_needs_a_session_of_the_named_user(app, dialect):
    token = app.user(dialect, "kevin")
    app.register(dialect, "milo")  # registered but never logged in
    fail = {"code": dialect.code("upload.fail")}
    assert app.upload(dialect, "milo", "a.txt", HELLO, token=None) == fail
    assert app.upload(dialect, "milo", "a.txt", HELLO, token=token) == fail  # kevin's token for milo


def test_legacy_upload_without_token_uses_the_session_ip_policy(app):
    from tests.client import Client, Dialect

    legacy = Dialect("legacy")
    app.user(legacy, "kevin")  # session opened from 127.0.0.1
    assert app.upload(legacy, "kevin", "a.txt", HELLO) == {"code": "008"}
    elsewhere = Client(app.web.app, remote_addr="10.9.8.7")
    assert elsewhere.upload(legacy, "kevin", "b.txt", b"other") == {"code": "009"}
    # No proxy is trusted by default: a client's X-Real-IP is ignored, even from loopback ...
    ignored = app.call(legacy, "/upload", qt_upload_body("kevin", "c.txt", b"c"), headers={"X-Real-IP": "10.9.8.7"})
    assert ignored == {"code": "008"}
    # ... and ignored from anyone else, who cannot claim to be 127.0.0.1 with it
    spoof = elsewhere.call(
        legacy, "/upload", qt_upload_body("kevin", "d.txt", b"d"), headers={"X-Real-IP": "127.0.0.1"}
    )
    assert spoof == {"code": "009"}
    names = [f["file_name"] for f in app.files(legacy, "kevin", app.login(legacy, "kevin"))["files"]]
    assert names == ["a.txt", "c.txt"]


def test_x_real_ip_is_believed_only_from_a_configured_proxy(config, services):
    from tests.client import Client, Dialect
    from tuchuang.app import create_app

    legacy = Dialect("legacy")
    behind_nginx = Client(create_app(config.replace(trusted_proxies=("127.0.0.1",)), services))
    behind_nginx.user(legacy, "kevin")  # session opened from 127.0.0.1 (nginx sent no X-Real-IP)
    body = qt_upload_body("kevin", "c.txt", b"c")
    assert behind_nginx.call(legacy, "/upload", body, headers={"X-Real-IP": "10.9.8.7"}) == {"code": "009"}
    assert behind_nginx.call(legacy, "/upload", body, headers={"X-Real-IP": "127.0.0.1"}) == {"code": "008"}


def test_api_upload_requires_a_token(app):
    from tests.client import Dialect

    api = Dialect("api")
    token = app.user(api, "kevin")
    assert app.upload(api, "kevin", "a.txt", HELLO) == {"code": 1}
    assert app.upload(api, "kevin", "a.txt", HELLO, token="f" * 32) == {"code": 1}
    app.web.set_cookie("token", token)
    assert app.upload(api, "kevin", "a.txt", HELLO) == {"code": 0}


def test_token_inside_the_upload_envelope(app, dialect):
    token = app.user(dialect, "kevin")
    ok = app.upload(dialect, "kevin", "a.txt", HELLO, extra=f'token="{token}" ')
    assert ok == {"code": dialect.code("upload.ok")}
    bad = app.upload(dialect, "kevin", "b.txt", HELLO, extra=f'token="{"0" * 32}" ')
    assert bad == {"code": dialect.code("upload.fail")}


def test_count_shapes(app, dialect):
    token = app.user(dialect, "kevin")
    for i in range(3):
        app.upload(dialect, "kevin", f"f{i}.txt", b"x" * i + b"!", token=token)
    ok = app.call(dialect, "/myfiles?cmd=count", {"token": token, "user": "kevin"})
    bad = app.call(dialect, "/myfiles?cmd=count", {"token": "0" * 32, "user": "kevin"})
    if dialect.name == "legacy":
        assert ok == {"code": "110", "token": "110", "num": "3"}
        assert bad == {"code": "111", "token": "111", "num": "0"}
    else:
        assert ok == {"code": 0, "total": 3}
        assert bad == {"code": 1, "total": 0}


def test_fresh_user_counts_zero_and_lists_empty(app, dialect):
    token = app.user(dialect, "kevin")
    count = app.call(dialect, "/myfiles?cmd=count", {"token": token, "user": "kevin"})
    assert count == (
        {"code": "110", "token": "110", "num": "0"} if dialect.name == "legacy" else {"code": 0, "total": 0}
    )
    assert app.files(dialect, "kevin", token) == {"code": 0, "count": 0, "total": 0, "files": []}


def upload_three(app, d, token):
    for name, body in (("a.png", b"aaaa"), ("b.txt", b"bb"), ("Makefile", b"all:")):
        assert app.upload(d, "kevin", name, body, token=token)["code"] == d.code("upload.ok")


def test_list_items_and_paging(app, dialect):
    token = app.user(dialect, "kevin")
    upload_three(app, dialect, token)
    page = app.files(dialect, "kevin", token, start=0, count=2)
    assert (page["code"], page["count"], page["total"]) == (0, 2, 3)
    item = page["files"][0]
    expected_keys = {"user", "md5", "create_time", "file_name", "share_status", "pv", "url", "size", "type"}
    if dialect.name == "legacy":
        expected_keys |= {"time", "filename"}
        assert item["time"] == item["create_time"] and item["filename"] == item["file_name"]
    assert set(item) == expected_keys
    assert item["file_name"] == "a.png" and item["type"] == "png" and item["size"] == 4
    assert item["share_status"] == 0 and item["pv"] == 0 and item["md5"] == md5_hex(b"aaaa")
    assert item["url"].startswith("http://localhost:80/group1/M00/") and item["url"].endswith(".png")
    assert len(item["create_time"]) == 19 and item["create_time"][10] == " "
    rest = app.files(dialect, "kevin", token, start=2, count=2)
    assert [f["file_name"] for f in rest["files"]] == ["Makefile"] and rest["files"][0]["type"] == "null"


def test_pv_orders(app, dialect):
    token = app.user(dialect, "kevin")
    upload_three(app, dialect, token)
    for name, body, times in (("b.txt", b"bb", 2), ("Makefile", b"all:", 1)):
        for _ in range(times):
            reply = app.dealfile(dialect, "pv", "kevin", token, md5_hex(body), name)
            assert reply == {"code": dialect.code("pv.ok")}
    desc = [(f["file_name"], f["pv"]) for f in app.files(dialect, "kevin", token, cmd="pvdesc")["files"]]
    asc = [(f["file_name"], f["pv"]) for f in app.files(dialect, "kevin", token, cmd="pvasc")["files"]]
    assert desc == [("b.txt", 2), ("Makefile", 1), ("a.png", 0)]
    assert asc == list(reversed(desc))


def test_list_token_and_bad_page(app, dialect):
    token = app.user(dialect, "kevin")
    assert app.files(dialect, "kevin", "0" * 32) == {"code": dialect.code("list.token")}
    assert app.files(dialect, "kevin", token, count=-1) == {"code": dialect.code("list.fail")}
    assert app.call(dialect, "/myfiles?cmd=bogus", {"token": token, "user": "kevin"}) == {
        "code": dialect.code("list.fail")
    }


def test_dealfile_codes(app, dialect):
    token = app.user(dialect, "kevin")
    app.upload(dialect, "kevin", "a.txt", HELLO, token=token)
    assert app.dealfile(dialect, "del", "kevin", "0" * 32, HELLO_MD5, "a.txt") == {"code": dialect.code("del.token")}
    assert app.dealfile(dialect, "pv", "kevin", "0" * 32, HELLO_MD5, "a.txt") == {"code": dialect.code("pv.token")}
    assert app.dealfile(dialect, "pv", "kevin", token, HELLO_MD5, "nope.txt") == {"code": dialect.code("pv.fail")}
    assert app.dealfile(dialect, "del", "kevin", token, HELLO_MD5, "nope.txt") == {"code": dialect.code("del.fail")}
    assert app.dealfile(dialect, "del", "kevin", token, HELLO_MD5, "a.txt") == {"code": dialect.code("del.ok")}
    assert app.dealfile(dialect, "del", "kevin", token, HELLO_MD5, "a.txt") == {"code": dialect.code("del.fail")}
    # the token is checked before cmd; an unknown cmd with a good token is the endpoint's failure
    assert app.dealfile(dialect, "zap", "kevin", "0" * 32, HELLO_MD5, "a.txt")["code"] == dialect.code("del.token")
    assert app.dealfile(dialect, "zap", "kevin", token, HELLO_MD5, "a.txt") == {"code": dialect.code("share.fail")}


def test_delete_of_someone_elses_file_changes_nothing(app, dialect, services):
    a = app.user(dialect, "alice")
    b = app.user(dialect, "bobby")
    app.upload(dialect, "alice", "a.txt", HELLO, token=a)
    assert app.dealfile(dialect, "del", "bobby", b, HELLO_MD5, "a.txt") == {"code": dialect.code("del.fail")}
    with services.store.read() as tx:
        assert tx.file(HELLO_MD5).count == 1
    assert app.files(dialect, "alice", a)["total"] == 1


def download(app, url):
    return app.web.get(url.split("localhost:80", 1)[1], expect_errors=True)


def test_reference_counting_across_users(app, dialect, services):
    a = app.user(dialect, "alice")
    b = app.user(dialect, "bobby")
    content = b"shared content \x00\xff" * 1000
    digest = md5_hex(content)
    app.upload(dialect, "alice", "x.bin", content, token=a)
    assert app.upload(dialect, "bobby", "y.bin", content, token=b) == {"code": dialect.code("upload.ok")}
    assert len(list(services.blobs.file_ids())) == 1
    with services.store.read() as tx:
        assert tx.file(digest).count == 2
    assert app.dealfile(dialect, "del", "alice", a, digest, "x.bin") == {"code": dialect.code("del.ok")}
    url = app.files(dialect, "bobby", b)["files"][0]["url"]
    assert download(app, url).body == content
    assert app.dealfile(dialect, "del", "bobby", b, digest, "y.bin") == {"code": dialect.code("del.ok")}
    with services.store.read() as tx:
        assert tx.file(digest) is None
    assert not list(services.blobs.file_ids())
    assert download(app, url).status_int == 404
    assert md5_call(app, dialect, "bobby", b, digest, "y.bin") == {"code": dialect.code("md5.upload")}


@pytest.mark.parametrize("order", ["normal", "pvasc", "pvdesc"])
def test_lists_only_show_own_files(app, dialect, order):
    a = app.user(dialect, "alice")
    b = app.user(dialect, "bobby")
    app.upload(dialect, "alice", "a.txt", b"alice's", token=a)
    app.upload(dialect, "bobby", "b.txt", b"bobby's", token=b)
    assert [f["user"] for f in app.files(dialect, "alice", a, cmd=order)["files"]] == ["alice"]
