"""Requests from other web sites (D10): a page on another origin, in a logged-in victim's browser,
uploaded into the victim's disk, cancelled the victim's share and saved a file for the victim
through the token-less endpoints. The Qt client sends no Origin and no Sec-Fetch-*."""

from __future__ import annotations

import os

import pytest

from tests.client import Dialect, md5_hex, qt_json, qt_upload_body

LEGACY, API = Dialect("legacy"), Dialect("api")
EVIL = [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}]


@pytest.fixture
def shared(app):  # noqa: ANN001, ANN201
    """alice is logged in (from this address) and shares a file; bob shares one alice may save."""
    alice = app.user(LEGACY, "alice")
    bob = app.user(LEGACY, "bob")
    a, b = os.urandom(3000), os.urandom(3000)
    assert app.upload(LEGACY, "alice", "a.txt", a)["code"] == "008"
    assert app.upload(LEGACY, "bob", "b.txt", b)["code"] == "008"
    assert app.dealfile(LEGACY, "share", "alice", alice, md5_hex(a), "a.txt")["code"] == "010"
    assert app.dealfile(LEGACY, "share", "bob", bob, md5_hex(b), "b.txt")["code"] == "010"
    return alice, md5_hex(a), md5_hex(b)


@pytest.mark.parametrize("headers", EVIL)
def test_cross_site_upload_is_refused(app, shared, headers) -> None:  # noqa: ANN001
    alice, _, _ = shared
    body = qt_upload_body("alice", "planted.txt", b"from another site")
    # a form post carries the victim's cookie, not a token it can read
    resp = app.post(
        "/upload", body, headers={"Content-Type": "multipart/form-data", "Cookie": f"token={alice}", **headers}
    )
    assert resp.json == {"code": "009"}
    assert [f["file_name"] for f in app.files(LEGACY, "alice", alice)["files"]] == ["a.txt"]


@pytest.mark.parametrize("headers", EVIL)
@pytest.mark.parametrize("d", [LEGACY, API])
def test_cross_site_share_actions_are_refused(app, services, shared, headers, d) -> None:  # noqa: ANN001
    alice, a_md5, b_md5 = shared
    cancel = {"user": "alice", "md5": a_md5, "filename": "a.txt"}
    save = {"user": "alice", "md5": b_md5, "filename": "b.txt"}
    json_headers = {"Content-Type": "application/json", "Cookie": f"token={alice}", **headers}
    assert app.post(d.prefix + "/dealsharefile?cmd=cancel", cancel, headers=json_headers).json["code"] == d.code(
        "cancel.fail"
    )
    assert app.post(d.prefix + "/dealsharefile?cmd=save", save, headers=json_headers).json["code"] == d.code(
        "save.fail"
    )
    names = sorted(f["file_name"] for f in app.files(d, "alice", alice)["files"])
    assert names == ["a.txt"]  # nothing saved for alice
    with services.store.read() as tx:
        assert tx.count_shares() == 2  # alice's share was not cancelled


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_browser_form_post_is_not_json(app, shared, ctype) -> None:  # noqa: ANN001
    alice, a_md5, _ = shared
    body = qt_json({"user": "alice", "token": alice, "md5": a_md5, "filename": "a.txt"})
    headers = {"Content-Type": ctype, "Origin": "http://evil.example"}
    assert app.post("/dealfile?cmd=pv", body, headers=headers).json == {"code": "017"}
    # the same body without browser headers is the Qt client, which mislabels JSON
    assert app.post("/dealfile?cmd=pv", body, headers={"Content-Type": ctype}).json == {"code": "016"}


def test_same_origin_browser_requests_work(app, shared) -> None:  # noqa: ANN001
    alice, a_md5, _ = shared
    host = "localhost:80"
    headers = {"Content-Type": "application/json", "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    cancel = {"user": "alice", "md5": a_md5, "filename": "a.txt", "token": alice}
    assert app.post("/api/dealsharefile?cmd=cancel", cancel, headers=headers).json == {"code": 0}
    body = qt_upload_body("alice", "mine.txt", b"from my own page")
    resp = app.post(
        "/api/upload", body, headers={"Content-Type": "multipart/form-data", "Cookie": f"token={alice}", **headers}
    )
    assert resp.json == {"code": 0}
