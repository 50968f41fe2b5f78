"""Share square, ranking, dealsharefile and sharepic (PROTOCOL.md §4.7, §4.10-§4.16, D4, D6, D7)."""

from __future__ import annotations

import re

from tests.client import Client, Dialect, md5_hex

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def share(app, d, user, token, md5, name):
    return app.dealfile(d, "share", user, token, md5, name)


def deal(app, d, cmd, user, md5, name, **extra):
    return app.call(d, f"/dealsharefile?cmd={cmd}", {"filename": name, "md5": md5, "user": user, **extra})


def square(app, d, start=0, count=10, cmd="normal"):
    return app.call(d, f"/sharefiles?cmd={cmd}", {"count": count, "start": start})


def share_count(app, d):
    resp = app.web.get(d.prefix + "/sharefiles?cmd=count")
    assert resp.status_int == 200
    return resp.body if d.name == "legacy" else resp.json


def setup_two(app, d):
    a, b = app.user(d, "alice"), app.user(d, "bobby")
    app.upload(d, "alice", "a.txt", b"alpha", token=a)
    return a, b, md5_hex(b"alpha")


def test_share_codes_and_square(app, dialect):
    a, b, m = setup_two(app, dialect)
    assert share(app, dialect, "alice", "0" * 32, m, "a.txt") == {"code": dialect.code("share.token")}
    assert share(app, dialect, "bobby", b, m, "a.txt") == {"code": dialect.code("share.fail")}  # not his
    assert share(app, dialect, "alice", a, m, "a.txt") == {"code": dialect.code("share.ok")}
    assert share(app, dialect, "alice", a, m, "a.txt") == {"code": dialect.code("share.already")}
    # another user's identical file with the same name counts as already shared (D6)
    assert deal(app, dialect, "save", "bobby", m, "a.txt") == {"code": dialect.code("save.ok")}
    assert share(app, dialect, "bobby", b, m, "a.txt") == {"code": dialect.code("share.already")}
    assert share_count(app, dialect) == (b"1" if dialect.name == "legacy" else {"code": 0, "total": 1})
    listing = square(app, dialect)
    assert (listing["code"], listing["count"], listing["total"]) == (0, 1, 1)
    item = listing["files"][0]
    assert item["user"] == "alice" and item["share_status"] == 1 and item["file_name"] == "a.txt"
    assert ("time" in item) == (dialect.name == "legacy")
    mine = app.files(dialect, "alice", a)["files"][0]
    assert mine["share_status"] == 1


def test_empty_square_and_ranking(app, dialect):
    assert share_count(app, dialect) == (b"0" if dialect.name == "legacy" else {"code": 0, "total": 0})
    assert square(app, dialect) == {"code": 0, "count": 0, "total": 0, "files": []}
    assert square(app, dialect, cmd="pvdesc") == {"code": 0, "count": 0, "total": 0, "files": []}


def test_save_and_pv_and_cancel(app, dialect):
    a, b, m = setup_two(app, dialect)
    assert deal(app, dialect, "save", "bobby", m, "a.txt") == {"code": dialect.code("save.fail")}  # not shared
    share(app, dialect, "alice", a, m, "a.txt")
    assert deal(app, dialect, "save", "bobby", m, "a.txt") == {"code": dialect.code("save.ok")}
    assert deal(app, dialect, "save", "bobby", m, "a.txt") == {"code": dialect.code("save.have")}
    assert [f["file_name"] for f in app.files(dialect, "bobby", b)["files"]] == ["a.txt"]
    assert deal(app, dialect, "pv", "bobby", m, "a.txt") == {"code": dialect.code("spv.ok")}
    assert deal(app, dialect, "pv", "bobby", m, "zz.txt") == {"code": dialect.code("spv.fail")}
    assert square(app, dialect)["files"][0]["pv"] == 1
    assert app.files(dialect, "alice", a)["files"][0]["pv"] == 0  # only the share's pv moves (§4.15)
    assert deal(app, dialect, "cancel", "bobby", m, "a.txt") == {"code": dialect.code("cancel.fail")}  # not his share
    assert deal(app, dialect, "cancel", "alice", m, "a.txt") == {"code": dialect.code("cancel.ok")}
    assert deal(app, dialect, "cancel", "alice", m, "a.txt") == {"code": dialect.code("cancel.fail")}
    assert square(app, dialect)["total"] == 0
    assert app.files(dialect, "alice", a)["files"][0]["share_status"] == 0


def test_dealsharefile_legacy_auth_and_supplied_tokens(app, dialect):
    a, b, m = setup_two(app, dialect)
    share(app, dialect, "alice", a, m, "a.txt")
    app.register(dialect, "carol")  # no live session
    assert deal(app, dialect, "save", "carol", m, "a.txt") == {"code": dialect.code("save.fail")}
    stranger = Client(app.web.app, remote_addr="10.1.2.3")  # bobby is logged in from 127.0.0.1 only
    assert stranger.call(dialect, "/dealsharefile?cmd=save", {"filename": "a.txt", "md5": m, "user": "bobby"}) == {
        "code": dialect.code("save.fail")
    }
    assert stranger.call(dialect, "/dealsharefile?cmd=cancel", {"filename": "a.txt", "md5": m, "user": "alice"}) == {
        "code": dialect.code("cancel.fail")
    }
    # a supplied token must verify, wherever it comes from
    assert deal(app, dialect, "save", "bobby", m, "a.txt", token=a) == {"code": dialect.code("save.fail")}
    ok = stranger.call(dialect, "/dealsharefile?cmd=save", {"filename": "a.txt", "md5": m, "user": "bobby", "token": b})
    assert ok == {"code": dialect.code("save.ok")}
    assert square(app, dialect)["total"] == 1


def test_ranking_order_and_shape(app, dialect):
    t = app.user(dialect, "alice")
    names = {"one.txt": 1, "three.txt": 3, "zero.txt": 0, "two.txt": 2}
    for name, views in names.items():
        app.upload(dialect, "alice", name, name.encode(), token=t)
        share(app, dialect, "alice", t, md5_hex(name.encode()), name)
        for _ in range(views):
            deal(app, dialect, "pv", "alice", md5_hex(name.encode()), name)
    ranking = square(app, dialect, cmd="pvdesc")
    assert ranking["code"] == 0 and ranking["total"] == 4 and ranking["count"] == 4
    assert ranking["files"] == [
        {"filename": "three.txt", "pv": 3},
        {"filename": "two.txt", "pv": 2},
        {"filename": "one.txt", "pv": 1},
        {"filename": "zero.txt", "pv": 0},
    ]
    assert square(app, dialect, cmd="pvdesc", start=1, count=2)["files"] == ranking["files"][1:3]


def test_deleting_a_shared_file_removes_its_share(app, dialect):
    a, _, m = setup_two(app, dialect)
    share(app, dialect, "alice", a, m, "a.txt")
    deal(app, dialect, "pv", "alice", m, "a.txt")
    assert app.dealfile(dialect, "del", "alice", a, m, "a.txt") == {"code": dialect.code("del.ok")}
    assert square(app, dialect)["total"] == 0
    assert square(app, dialect, cmd="pvdesc") == {"code": 0, "count": 0, "total": 0, "files": []}


def test_unknown_cmds(app, dialect):
    for path in ("/sharefiles?cmd=zap", "/sharefiles"):
        assert app.call(dialect, path, {"count": 1, "start": 0}) == {"code": dialect.code("list.fail")}
    assert deal(app, dialect, "zap", "alice", "0" * 32, "a") == {"code": dialect.code("save.fail")}


def pic(app, cmd, **body):
    return app.call(Dialect("api"), f"/sharepic?cmd={cmd}", body)


def test_sharepic_lifecycle(app):
    api = Dialect("api")
    a, b = app.user(api, "alice"), app.user(api, "bobby")
    app.upload(api, "alice", "cat.png", PNG, token=a)
    app.upload(api, "alice", "notes.txt", b"text", token=a)
    m = md5_hex(PNG)
    assert pic(app, "share", user="alice", token=b, md5=m, filename="cat.png") == {"code": 4}
    assert pic(app, "share", user="bobby", token=b, md5=m, filename="cat.png") == {"code": 1}  # not his
    assert pic(app, "share", user="alice", token=a, md5=md5_hex(b"text"), filename="notes.txt") == {"code": 1}
    shared = pic(app, "share", user="alice", token=a, md5=m, filename="cat.png")
    assert shared["code"] == 0 and re.fullmatch(r"[0-9a-f]{32}", shared["urlmd5"])
    url = shared["urlmd5"]
    first = pic(app, "browse", urlmd5=url)
    assert first["code"] == 0 and first["pv"] == 1 and first["user"] == "alice"
    assert first["url"].startswith("http://localhost:80/group1/M00/") and len(first["time"]) == 19
    assert pic(app, "browse", urlmd5=url)["pv"] == 2
    listing = pic(app, "normal", user="alice", token=a, start=0, count=10)
    assert listing["code"] == 0 and listing["total"] == 1
    assert listing["files"] == [
        {"user": "alice", "filemd5": m, "file_name": "cat.png", "urlmd5": url, "pv": 2,
         "create_time": first["time"], "size": len(PNG)},
    ]  # fmt: skip
    assert pic(app, "normal", user="alice", token=b, start=0, count=10) == {"code": 1}  # §12.1: 1, not 4
    assert pic(app, "browse", urlmd5="0" * 32) == {"code": 1}
    assert pic(app, "cancel", user="bobby", token=b, urlmd5=url) == {"code": 1}  # not his share
    assert pic(app, "cancel", user="alice", token=b, urlmd5=url) == {"code": 4}
    assert pic(app, "cancel", user="alice", token=a, urlmd5=url) == {"code": 0}
    assert pic(app, "browse", urlmd5=url) == {"code": 1}


def test_sharepic_browse_after_owner_deletes(app):
    api = Dialect("api")
    a, b = app.user(api, "alice"), app.user(api, "bobby")
    app.upload(api, "alice", "cat.png", PNG, token=a)
    app.upload(api, "bobby", "cat.png", PNG, token=b)  # same content elsewhere
    url = pic(app, "share", user="alice", token=a, md5=md5_hex(PNG), filename="cat.png")["urlmd5"]
    app.dealfile(api, "del", "alice", a, md5_hex(PNG), "cat.png")
    assert pic(app, "browse", urlmd5=url) == {"code": 2}
    assert pic(app, "normal", user="alice", token=a, start=0, count=10)["total"] == 1  # stays listed
    assert app.web.post("/sharepic?cmd=browse", b"{}", expect_errors=True).status_int == 404  # /api only
