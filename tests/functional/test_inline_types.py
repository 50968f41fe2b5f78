"""Only an allow-list of types is served inline (D8): the review got `.xhtm` served as
`application/xhtml+xml`, inline and unsandboxed, and Chromium ran its script on our origin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.client import Dialect
from tuchuang.blobs.inline import INLINE_TYPES

API = Dialect("api")
ACTIVE = b"<html xmlns='http://www.w3.org/1999/xhtml'><script>alert(1)</script></html>"
NGINX_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "tuchuang.conf"


def served(app, name: str) -> object:  # noqa: ANN001
    token = app.user(API, "ivy")
    assert app.upload(API, "ivy", name, ACTIVE, token=token) == {"code": 0}
    url = app.files(API, "ivy", token)["files"][0]["url"]
    return app.web.get("/" + url.split("/", 3)[3])


@pytest.mark.parametrize("name", ["a.xhtm", "a.xhtml", "a.html", "a.svg", "a.xml", "a.js", "a.mht", "a.wasm", "a.XHT"])
def test_anything_not_allowed_is_a_sandboxed_attachment(app, name: str) -> None:  # noqa: ANN001
    resp = served(app, name)
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["Content-Security-Policy"] == "sandbox"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "ctype"), [("a.png", "image/png"), ("a.TXT", "text/plain"), ("a.pdf", "application/pdf")]
)
def test_allowed_types_are_inline(app, name: str, ctype: str) -> None:  # noqa: ANN001
    resp = served(app, name)
    assert resp.headers["Content-Type"].split(";")[0] == ctype
    assert "Content-Disposition" not in resp.headers
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_nginx_follows_the_same_list() -> None:
    conf = NGINX_CONF.read_text()
    block = re.search(r"types \{(.*?)\}", conf, re.S).group(1)
    nginx_types = {}
    for line in block.strip().splitlines():
        ctype, *exts = line.strip().rstrip(";").split()
        nginx_types.update({ext: ctype for ext in exts})
    assert nginx_types == {ext: ctype.split(";")[0] for ext, ctype in INLINE_TYPES.items()}
    inline_map = re.search(r"map \$uri \$tuchuang_inline \{\s*~\*\\\.\(([^)]*)\)\$", conf).group(1)
    assert sorted(inline_map.split("|")) == sorted(INLINE_TYPES)
