"""`/internal/upload-allowed`: nginx asks it (auth_request) before it takes an upload's body.

nginx spools a whole body before the app sees the request, so without this a client with no
session could make it write 1 GiB to disk, again and again. The answer looks only at what the
request's headers say (the token, the address, the site it comes from); the body is checked in
full afterwards as always. 204: take the body; 403: nginx answers the upload's failure code.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import falcon

from tuchuang.config import Config
from tuchuang.errors import TuchuangError
from tuchuang.protocol import api
from tuchuang.protocol.endpoint import Call

if TYPE_CHECKING:
    from tuchuang.app import Services

log = logging.getLogger(__name__)


class UploadGate:
    def __init__(self, services: Services, config: Config) -> None:
        self.services = services
        self.config = config

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        call = Call(req, self.services, self.config, api.NAME)
        legacy = not (req.get_header("X-Original-URI") or "").startswith("/api/")
        try:
            allowed = self.services.auth.may_start_upload(call.request_token, call.client_addr, call.cross_site, legacy)
        except TuchuangError as exc:  # the session store is down: the upload would fail anyway
            log.warning("upload gate: %s", exc)
            allowed = False
        resp.status = falcon.HTTP_204 if allowed else falcon.HTTP_403
        resp.cache_control = ["no-store"]
        if not allowed:
            log.info("upload refused before its body: %s from %s", req.get_header("X-Original-URI"), call.client_addr)
