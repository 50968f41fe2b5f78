"""nginx itself serves the web front's files (README: The web front), with the app's headers, and
passes them on to the app when its directory does not hold them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Http
from tuchuang.web.front import CSP, TYPES, asset

FRONT_DIR = os.environ.get("TUCHUANG_E2E_FRONT_DIR", "")
NGINX_ETAG = re.compile(r'^"[0-9a-f]+-[0-9a-f]+"$')  # nginx's: mtime-size; the app's is a digest


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/md5.js", "/static/app.css"])
def test_nginx_serves_the_front(web: Http, path: str) -> None:
    reply = web.request("GET", path)
    name = "index.html" if path == "/" else path.rsplit("/", 1)[1]
    assert reply.status == 200
    assert reply.body == asset(name)[0]
    assert NGINX_ETAG.match(reply.headers["ETag"]), reply.headers["ETag"]
    assert reply.headers["Content-Security-Policy"] == CSP
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert reply.headers["Content-Type"].replace(" ", "").lower() == TYPES[name].replace(" ", "")
    again = web.request("GET", path, headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and again.body == b""


def test_only_reads(web: Http) -> None:
    assert web.request("POST", "/", b"x", {"Content-Type": "text/plain"}).status in (403, 405)
    assert web.request("GET", "/static/index.html").status == 404
    assert web.request("GET", "/static/../../etc/passwd").status in (400, 404)


@pytest.mark.skipif(not FRONT_DIR, reason="TUCHUANG_E2E_FRONT_DIR (nginx's front directory on this host) is unset")
def test_the_app_answers_until_the_files_are_there(web: Http) -> None:
    exported = Path(FRONT_DIR) / "md5.js"
    aside = exported.with_name(".md5.js.aside")
    exported.rename(aside)
    try:
        reply = web.request("GET", "/static/md5.js")
    finally:
        aside.rename(exported)
    assert reply.status == 200
    assert reply.body == asset("md5.js")[0]
    assert reply.headers["ETag"] == asset("md5.js")[1]  # the app's digest: nginx passed it on
    assert reply.headers["Content-Security-Policy"] == CSP
