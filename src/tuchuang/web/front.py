"""The web front at `/`: a few static files shipped inside the package (`web/front/`), served
under a strict Content-Security-Policy (no inline script, nothing from elsewhere).

The embedded server serves them itself. In production nginx serves them from a directory that
`tuchuang front DIR` fills (deploy/nginx/tuchuang.conf, `location = /` and `/static/`), with the same
headers; until the directory holds them, nginx passes those paths on to the app."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

import falcon

CSP = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "md5.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}


@cache
def asset(name: str) -> tuple[bytes, str]:
    """The file's bytes and its ETag."""
    data = resources.files("tuchuang.web").joinpath("front", name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


def _send(req: falcon.Request, resp: falcon.Response, name: str) -> None:
    data, etag = asset(name)
    resp.content_type = TYPES[name]
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cache-Control", "no-cache")  # revalidate: an upgrade shows at once
    resp.set_header("ETag", etag)
    if req.get_header("If-None-Match") == etag:
        resp.status = falcon.HTTP_304
        return
    resp.data = data


class FrontPage:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _send(req, resp, "index.html")


class FrontAsset:
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if name not in TYPES or name == "index.html":
            raise falcon.HTTPNotFound()
        _send(req, resp, name)


def export(directory: Path) -> list[str]:
    """Write the front's files into `directory` for nginx to serve. Each file is replaced whole
    (written beside it, then renamed), so nginx never sends half of one during an upgrade."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TYPES:
        data, _ = asset(name)
        target = directory / name
        temporary = directory / f".{name}.{os.getpid()}"
        temporary.write_bytes(data)
        temporary.chmod(0o644)  # nginx's workers read it as another user
        os.replace(temporary, target)
        written.append(name)
    return written
