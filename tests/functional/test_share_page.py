"""The picture share page: HTML rendered on the server, escaped, with a strict CSP (D7)."""

from __future__ import annotations

import html
import re

import pytest

from tests.client import Dialect, md5_hex

PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 32
EVIL = "<script>alert(1)</script>\"'>"


def shared_picture(app, user="alice", name="cat.png", content=PNG):
    api = Dialect("api")
    token = app.user(api, user)
    assert app.upload(api, user, name, content, token=token) == {"code": 0}
    reply = app.call(
        api, "/sharepic?cmd=share", {"user": user, "token": token, "md5": md5_hex(content), "filename": name}
    )
    return reply["urlmd5"], token


@pytest.mark.parametrize("path", ["/share", "/api/share"])
def test_page_shows_picture_sharer_time_and_counts_views(app, path):
    urlmd5, _ = shared_picture(app)
    first = app.web.get(f"{path}?urlmd5={urlmd5}")
    assert first.status_int == 200 and first.content_type == "text/html"
    assert re.search(r'<img id="picture" src="http://localhost:80/group1/M00/[^"]+\.png"', first.text)
    assert '<dd id="sharer">alice</dd>' in first.text
    assert re.search(r'<dd id="share-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</dd>', first.text)
    assert '<dd id="views">1</dd>' in first.text
    assert '<dd id="views">2</dd>' in app.web.get(f"{path}?urlmd5={urlmd5}").text
    csp = first.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "img-src 'self'" in csp
    assert first.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_cancelled_and_deleted(app):
    api = Dialect("api")
    assert "does not exist" in app.web.get("/share?urlmd5=" + "0" * 32, status=404).text
    assert "does not exist" in app.web.get("/share", status=404).text
    urlmd5, token = shared_picture(app)
    app.dealfile(api, "del", "alice", token, md5_hex(PNG), "cat.png")
    assert "deleted" in app.web.get(f"/share?urlmd5={urlmd5}", status=404).text


def test_hostile_names_are_escaped(app):
    api = Dialect("api")
    user = "<b>x</b>'&"  # the user goes in the upload envelope: no '"' there
    token = app.user(api, user)
    name = EVIL + ".png"
    app.upload(api, user, "plain.png", PNG, token=token)
    # the Qt envelope cannot carry '"' in a name, JSON can: add the hostile name by instant upload
    md5_body = {"user": user, "token": token, "md5": md5_hex(PNG), "filename": name}
    assert app.call(api, "/md5", md5_body) == {"code": 0}
    urlmd5 = app.call(
        api, "/sharepic?cmd=share", {"user": user, "token": token, "md5": md5_hex(PNG), "filename": name}
    )["urlmd5"]
    page = app.web.get(f"/share?urlmd5={urlmd5}").text
    assert "<script>" not in page and "<b>" not in page
    caption = re.search(r'<figcaption id="file-name">([^<]*)</figcaption>', page).group(1)
    sharer = re.search(r'<dd id="sharer">([^<]*)</dd>', page).group(1)
    assert html.unescape(caption) == name and html.unescape(sharer) == user
    assert re.search(r'alt="[^"<>]*"', page)  # the attribute is never broken out of
