"""Every request gets an id: nginx's (`X-Request-Id`, when it is a plain token) or a new one. It is
sent back in `X-Request-Id` and carried by every log line the request causes, so a user who quotes
it lets an operator find what happened to their request."""

from __future__ import annotations

import re
import secrets

import falcon

from tuchuang.logs import REQUEST_ID

HEADER = "X-Request-Id"
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIds:
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header(HEADER) or ""
        request_id = given if ACCEPTED.fullmatch(given) else secrets.token_hex(8)
        req.context.request_id = request_id
        req.context.request_id_token = REQUEST_ID.set(request_id)
        resp.set_header(HEADER, request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        token = getattr(req.context, "request_id_token", None)
        if token is not None:
            REQUEST_ID.reset(token)
            req.context.request_id_token = None
