"""Serve stored files at /<file id> like nginx would: ETag, Range, HEAD, nosniff (DECISIONS.md D8)."""

from __future__ import annotations

import re
import unicodedata
from email.utils import formatdate
from typing import Literal
from urllib.parse import quote

import falcon

from tuchuang.blobs import FILE_ID, BlobStat, BlobStore
from tuchuang.blobs.inline import DOWNLOAD_TYPE, inline_type
from tuchuang.errors import BlobNotFound, StorageUnavailable

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def etag_of(stat: BlobStat) -> str:
    """nginx's ETag form, so the app and nginx agree on the same file."""
    return f'"{int(stat.mtime):x}-{stat.size:x}"'


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | Literal[False]:
    """(start, length) of a single byte range; None to serve it all; False if unsatisfiable."""
    if not header:
        return None
    m = _RANGE.fullmatch(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return None  # malformed or multiple ranges: ignore and serve the whole file (RFC 9110)
    if not m.group(1):
        suffix = int(m.group(2))
        if suffix == 0 or size == 0:
            return False
        return max(size - suffix, 0), min(suffix, size)
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return False
    end = min(end, size - 1)
    return start, end - start + 1


NAME_LIMIT = 255


def disposition(name: str) -> str | None:
    """`Content-Disposition` to download as `name` (the `?name=` parameter), or None if unusable.

    Control and format characters (CR, LF, NUL, the right-to-left override …), path separators
    and quotes never reach the header: the name goes out percent-encoded (RFC 6266 `filename*`)
    beside a plain ASCII fallback."""
    clean = "".join(
        "_" if c in '/\\"' else c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
    ).strip()[:NAME_LIMIT]
    if not clean.strip(". "):
        return None
    fallback = "".join(c if " " <= c < "\x7f" else "_" for c in clean)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(clean, safe='')}"


def file_id_of(group: str, store: str, d1: str, d2: str, name: str) -> str:
    """The file id a stored file's URL names (`/<group>/M<store path>/…`), checked strictly before
    it reaches a store: any group and store path FastDFS can name; anything else is not found."""
    file_id = f"{group}/M{store}/{d1}/{d2}/{name}"
    if not FILE_ID.match(file_id):
        raise falcon.HTTPNotFound()
    return file_id


class StoredFile:
    """`/<group>/M<nn>/<d1>/<d2>/<name>`: a stored file, from whichever group the store holds it in."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, group: str, store: str, d1: str, d2: str, name: str
    ) -> None:
        self._serve(req, resp, file_id_of(group, store, d1, d2, name), send_body=True)

    def on_head(
        self, req: falcon.Request, resp: falcon.Response, group: str, store: str, d1: str, d2: str, name: str
    ) -> None:
        self._serve(req, resp, file_id_of(group, store, d1, d2, name), send_body=False)

    def _serve(self, req: falcon.Request, resp: falcon.Response, file_id: str, send_body: bool) -> None:
        try:
            stat = self.blobs.stat(file_id)
        except BlobNotFound:
            raise falcon.HTTPNotFound() from None
        except StorageUnavailable:
            raise falcon.HTTPServiceUnavailable(retry_after=5) from None
        etag = etag_of(stat)
        self._headers(resp, file_id, stat, etag)
        named = disposition(req.get_param("name") or "")
        if named is not None:
            resp.set_header("Content-Disposition", named)
        if req.get_header("If-None-Match") == etag:
            resp.status = falcon.HTTP_304
            return
        wanted = parse_range(req.get_header("Range"), stat.size)
        if_range = req.get_header("If-Range")
        if wanted is not None and if_range and if_range != etag:
            wanted = None
        if wanted is False:
            resp.status = falcon.HTTP_416
            resp.set_header("Content-Range", f"bytes */{stat.size}")
            resp.content_length = 0
            return
        start, length = wanted if wanted else (0, stat.size)
        if wanted:
            resp.status = falcon.HTTP_206
            resp.set_header("Content-Range", f"bytes {start}-{start + length - 1}/{stat.size}")
        resp.content_length = length
        if send_body and length:
            resp.stream = self._body(file_id, start, length, stat.size)

    def _body(self, file_id: str, start: int, length: int, size: int):  # noqa: ANN202
        path = self.blobs.local_path(file_id)
        if path is not None and start == 0 and length == size:
            return open(path, "rb")  # the WSGI server may sendfile() it
        return self.blobs.stream(file_id, start, length)

    def _headers(self, resp: falcon.Response, file_id: str, stat: BlobStat, etag: str) -> None:
        name = file_id.rsplit("/", 1)[-1]
        inline = inline_type(name)
        resp.content_type = inline or DOWNLOAD_TYPE
        resp.set_header("ETag", etag)
        resp.set_header("Last-Modified", formatdate(stat.mtime, usegmt=True))
        resp.set_header("Accept-Ranges", "bytes")
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Access-Control-Allow-Origin", "*")
        if inline is None:
            resp.set_header("Content-Disposition", f'attachment; filename="{name}"')
            resp.set_header("Content-Security-Policy", "sandbox")
