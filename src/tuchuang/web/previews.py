"""`/api/thumb/<file id>`: the preview of a stored picture (services/thumbnails.py), for the web
front's grid. Public like the file itself; cached by browsers for good (file ids never change)."""

from __future__ import annotations

import logging

import falcon

from tuchuang.errors import BlobNotFound, StorageUnavailable
from tuchuang.protocol.downloads import file_id_of
from tuchuang.services.thumbnails import NoPreview, PreviewBusy, Thumbnails

log = logging.getLogger(__name__)


class Preview:
    def __init__(self, thumbnails: Thumbnails) -> None:
        self.thumbnails = thumbnails

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, group: str, store: str, d1: str, d2: str, name: str
    ) -> None:
        file_id = file_id_of(group, store, d1, d2, name)
        try:
            path = self.thumbnails.path(file_id)
        except (BlobNotFound, NoPreview) as exc:
            log.debug("no preview of %s: %s", file_id, exc)
            raise falcon.HTTPNotFound() from None
        except (PreviewBusy, StorageUnavailable) as exc:
            log.info("preview of %s not made now: %s", file_id, exc)
            raise falcon.HTTPServiceUnavailable(retry_after=2) from None
        resp.content_type = "image/webp"
        resp.set_header("Cache-Control", "public, max-age=31536000, immutable")
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.content_length = path.stat().st_size
        resp.stream = open(path, "rb")  # noqa: SIM115 - the WSGI server closes it
