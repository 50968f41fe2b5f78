"""`?name=` on a file URL downloads it under the user's file name (issue 11), in the app; hostile
names never reach the header raw (D8 stays: sandbox and nosniff for what is not inline)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.client import Dialect, md5_hex

LEGACY = Dialect("legacy")


@pytest.fixture
def url(app) -> str:  # noqa: ANN001
    token = app.user(LEGACY, "namer")
    app.upload(LEGACY, "namer", "page.html", b"<script>alert(1)</script>")
    [item] = app.files(LEGACY, "namer", token)["files"]
    return "/" + item["url"].split("/", 3)[3]


def disposition(app, url: str, name: str) -> str:  # noqa: ANN001
    resp = app.web.get(url + "?name=" + quote(name, safe=""))
    assert resp.headers["Content-Security-Policy"] == "sandbox"  # still not rendered
    return resp.headers["Content-Disposition"]


def test_the_users_name(app, url: str) -> None:  # noqa: ANN001
    assert disposition(app, url, "我的 页面.html") == (
        "attachment; filename=\"__ __.html\"; filename*=UTF-8''%E6%88%91%E7%9A%84%20%E9%A1%B5%E9%9D%A2.html"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('a"b\\c/d.txt', "attachment; filename=\"a_b_c_d.txt\"; filename*=UTF-8''a_b_c_d.txt"),
        (
            "evil\r\nSet-Cookie: x=1.txt",
            "attachment; filename=\"evilSet-Cookie: x=1.txt\"; filename*=UTF-8''evilSet-Cookie%3A%20x%3D1.txt",
        ),
        ("invoice\u202egnp.exe", "attachment; filename=\"invoicegnp.exe\"; filename*=UTF-8''invoicegnp.exe"),
        (
            "<img src=x onerror=alert(1)>",
            "attachment; filename=\"<img src=x onerror=alert(1)>\"; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E",
        ),
    ],
)
def test_hostile_names_never_reach_the_header_raw(app, url: str, name: str, expected: str) -> None:  # noqa: ANN001
    assert disposition(app, url, name) == expected


@pytest.mark.parametrize("name", ["", "..", "\r\n", "\u202e"])
def test_unusable_names_are_ignored(app, url: str, name: str) -> None:  # noqa: ANN001
    resp = app.web.get(url + "?name=" + quote(name, safe=""))
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{url.rsplit("/", 1)[1]}"'


def test_inline_files_download_under_their_name(app) -> None:  # noqa: ANN001
    token = app.user(LEGACY, "pics")
    app.upload(LEGACY, "pics", "cat.png", b"\x89PNG not really")
    [item] = app.files(LEGACY, "pics", token)["files"]
    path = "/" + item["url"].split("/", 3)[3]
    assert "Content-Disposition" not in app.web.get(path).headers  # shown inline
    named = app.web.get(path + "?name=cat.png")
    assert named.headers["Content-Disposition"].startswith("attachment;")
    assert named.headers["Content-Type"] == "image/png" and md5_hex(named.body) == md5_hex(b"\x89PNG not really")
