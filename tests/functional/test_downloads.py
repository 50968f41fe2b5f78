"""Stored files served by the app at /group1/M00/... (DECISIONS.md D8)."""

from __future__ import annotations

import pytest

from tests.client import Dialect

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def stored(app):
    d = Dialect("api")
    token = app.user(d, "kevin")
    app.upload(d, "kevin", "pic.png", CONTENT, token=token)
    app.upload(d, "kevin", "page.html", b"<script>alert(1)</script>", token=token)
    files = {f["file_name"]: f["url"].split("localhost:80", 1)[1] for f in app.files(d, "kevin", token)["files"]}
    return files


def test_full_download(app, stored):
    resp = app.web.get(stored["pic.png"])
    assert resp.status_int == 200 and resp.body == CONTENT
    assert resp.headers["Content-Length"] == str(len(CONTENT))
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in resp.headers


def test_etag_and_conditional_get(app, stored):
    etag = app.web.get(stored["pic.png"]).headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert app.web.get(stored["pic.png"], headers={"If-None-Match": etag}, status=304).body == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_ranges(app, stored, header, start, end):
    resp = app.web.get(stored["pic.png"], headers={"Range": header}, status=206)
    assert resp.body == CONTENT[start : end + 1]
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert resp.headers["Content-Length"] == str(end - start + 1)


def test_unsatisfiable_and_ignored_ranges(app, stored):
    resp = app.web.get(stored["pic.png"], headers={"Range": "bytes=20000-"}, status=416)
    assert resp.headers["Content-Range"] == f"bytes */{len(CONTENT)}"
    assert app.web.get(stored["pic.png"], headers={"Range": "bytes=0-1,5-9"}, status=200).body == CONTENT
    stale = app.web.get(stored["pic.png"], headers={"Range": "bytes=0-9", "If-Range": '"old"'}, status=200)
    assert stale.body == CONTENT


def test_head(app, stored):
    resp = app.web.head(stored["pic.png"])
    assert resp.status_int == 200 and resp.body == b""
    assert resp.headers["Content-Length"] == str(len(CONTENT))


def test_active_content_is_an_attachment(app, stored):
    resp = app.web.get(stored["page.html"])
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/group1/M00/00/00/AAAAAAAAAAAAAAAAAAAAAAAAAAA.png",
        "/group1/M00/zz/00/AAAAAAAAAAAAAAAAAAAAAAAAAAA.png",
        "/group1/M00/00/00/..%2F..%2Fetc%2Fpasswd",
        "/group1/M00/00/00/a.b.c.d",
    ],
)
def test_missing_or_malformed_ids_are_404(app, stored, path):
    assert app.web.get(path, expect_errors=True).status_int == 404
    assert app.web.head(path, expect_errors=True).status_int == 404


def test_unknown_path_is_404(app):
    assert app.web.get("/nothing-here", expect_errors=True).status_int == 404
    assert app.web.post("/api/nothing", b"{}", expect_errors=True).status_int == 404


def test_files_of_any_group_and_store_path_are_served(config, tmp_path) -> None:  # noqa: ANN001
    """Issue 13: a file id names its group and store path (`group2/M01/…`); the app serves whatever
    the store holds under it, and refuses ids outside FastDFS's shape before any store sees them."""
    from tests.client import Client, Dialect
    from tests.conftest import FAST_HASHER
    from tuchuang.app import build_services, create_app
    from tuchuang.blobs.local import LocalBlobStore

    api = Dialect("api")
    services = build_services(config, blobs=LocalBlobStore(tmp_path / "g2", group="group2"), hasher=FAST_HASHER)
    app = Client(create_app(config, services))
    token = app.user(api, "alice")
    app.upload(api, "alice", "two.txt", b"kept in group2", token=token)
    [item] = app.files(api, "alice", token)["files"]
    path = "/" + item["url"].split("/", 3)[3]
    assert path.startswith("/group2/M00/")
    assert app.web.get(path).body == b"kept in group2"
    assert app.web.head(path).status_int == 200
    d1d2name = path.split("/M00/", 1)[1]
    for bad in (f"/group/M00/{d1d2name}", f"/group123/M00/{d1d2name}", f"/group2/MZZ/{d1d2name}",
                f"/group2/M0/{d1d2name}", f"/group1/M00/{d1d2name}", f"/group2/M01/{d1d2name}"):  # fmt: skip
        assert app.web.get(bad, expect_errors=True).status_int == 404, bad
    services.store.close()
