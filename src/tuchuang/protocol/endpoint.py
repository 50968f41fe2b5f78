"""One resource per endpoint and dialect: pick the handler by `cmd`, call it, render its reply.

Every outcome is HTTP 200 with the endpoint's code (DECISIONS.md D1): bad input, refused use
cases, unavailable components and bugs alike never become a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import falcon

from tuchuang import metrics
from tuchuang.config import Config
from tuchuang.errors import DatabaseUnavailable, SessionStoreUnavailable, StorageUnavailable
from tuchuang.protocol.fields import BadRequest, read_json
from tuchuang.protocol.replies import Reply
from tuchuang.services.outcomes import Outcome, Refused

if TYPE_CHECKING:
    from tuchuang.app import Services

log = logging.getLogger(__name__)
DRAIN_LIMIT = 1 << 20  # what deploy/nginx lets through to any protocol path but uploads
_UNAVAILABLE = (DatabaseUnavailable, SessionStoreUnavailable, StorageUnavailable)


@dataclass
class Call:
    """One request as the handlers see it."""

    req: falcon.Request
    services: Services
    config: Config
    dialect: str

    @cached_property
    def body(self) -> dict[str, Any]:
        if self.from_browser and not _json_type(self.req.content_type):
            # D10: a browser's form post (text/plain, urlencoded, multipart) is never taken as
            # JSON; only clients that send no Origin / Sec-Fetch-* (the Qt client) are parsed
            # whatever their Content-Type says.
            raise BadRequest("a browser request with a non-JSON content type")
        return read_json(body_stream(self.req))

    @cached_property
    def from_browser(self) -> bool:
        return bool(self.req.get_header("Origin") or self.req.get_header("Sec-Fetch-Site"))

    @cached_property
    def cross_site(self) -> bool:
        """The request was made by a page of another site (D10): Sec-Fetch-Site, else Origin."""
        fetch_site = (self.req.get_header("Sec-Fetch-Site") or "").lower()
        if fetch_site in ("cross-site", "same-site"):
            return True
        origin = self.req.get_header("Origin")
        if origin is None:
            return False
        own = {self.req.netloc.lower()}
        if self.config.public_url:
            own.add(urlsplit(self.config.public_url).netloc.lower())
        return urlsplit(origin.strip()).netloc.lower() not in own  # "null" too

    @cached_property
    def client_addr(self) -> str:
        """The peer; behind a trusted proxy, the address it reports in X-Real-IP."""
        addr = self.req.remote_addr
        real = self.req.get_header("X-Real-IP")
        if real and self.config.is_trusted_proxy(addr):
            return real.strip()[:64]
        return addr

    @cached_property
    def base_url(self) -> str:
        """Prefix of file URLs: TUCHUANG_PUBLIC_URL, else how this client reached us (D5)."""
        return self.config.public_url or f"{self.req.scheme}://{self.req.netloc}"

    @cached_property
    def request_token(self) -> str | None:
        """A token sent outside the body: `Authorization: Bearer`, or the `token` cookie."""
        auth = self.req.get_header("Authorization") or ""
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        if self.cross_site:
            return None  # a cookie rides along on another site's request: it proves nothing (D10)
        cookie = self.req.cookies.get("token")
        return cookie or None


def body_stream(req: falcon.Request) -> Any:
    """The request body as a stream that ends where the body ends.

    A chunked body has no Content-Length, and Falcon's bounded stream reads it as empty; the
    server's own input stream ends at the last chunk where it says so (`wsgi.input_terminated`).
    """
    if req.content_length is None and req.env.get("wsgi.input_terminated") and _chunked(req):
        return req.stream
    return req.bounded_stream


def drain(req: falcon.Request, limit: int = DRAIN_LIMIT) -> None:
    """Read what is left of a body of at most `limit` bytes before answering.

    gunicorn answers `Connection: keep-alive`, then discards at most 64 KiB of an unread body
    and closes the connection if more is left; nginx may already have sent the next request on
    that upstream connection, which then fails with 502. Reading the rest here keeps the
    connection usable. A larger or chunked body is left alone (nginx never sends one; a direct
    client is answered at once, and its connection closed).
    """
    length = req.content_length
    if length is None or length > limit:
        return
    try:
        req.bounded_stream.exhaust()
    except (OSError, ValueError):  # the client went away: nothing left to keep usable
        return


def _chunked(req: falcon.Request) -> bool:
    return "chunked" in (req.get_header("Transfer-Encoding") or "").lower()


def _json_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


Handler = Callable[[Call], Reply]
Command = tuple[str, Handler]


class Endpoint:
    def __init__(
        self,
        name: str,
        dialect: ModuleType,
        services: Services,
        config: Config,
        handler: Handler | None = None,
        commands: dict[str, Command] | None = None,
        before: Handler | None = None,
    ) -> None:
        self.name = name
        self.dialect = dialect
        self.services = services
        self.config = config
        self.handler = handler
        self.commands = commands
        self.before = before

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        call = Call(req, self.services, self.config, self.dialect.NAME)
        op, handler = self._route(req)
        reply = self._run(call, op, handler)
        metrics.REQUESTS.labels(op, self.dialect.NAME, reply.outcome.name.lower()).inc()
        drain(req)
        resp.data, resp.content_type = self.dialect.render(op, reply)

    def _route(self, req: falcon.Request) -> tuple[str, Handler | None]:
        if self.commands is None:
            return self.name, self.handler
        cmd = req.get_param("cmd") or ""
        op, handler = self.commands.get(cmd, ("", None))
        return (f"{self.name}.{op}" if handler else self.name), handler

    def _run(self, call: Call, op: str, handler: Handler | None) -> Reply:
        try:
            if self.before is not None:
                self.before(call)  # e.g. dealfile checks the token before any cmd (§4.7)
            if handler is None:
                return Reply(Outcome.FAIL)
            return handler(call)
        except Refused as exc:
            # one line per refusal, with its reason (the request id is on every line: logs.py)
            level = logging.DEBUG if exc.outcome is Outcome.UPLOAD_NEEDED else logging.INFO  # a normal answer
            log.log(level, "%s %s refused (%s): %s", self.dialect.NAME, op, exc.outcome.name.lower(), exc)
            return Reply(exc.outcome)
        except BadRequest as exc:
            log.info("%s %s refused (bad request): %s", self.dialect.NAME, op, exc)
            return Reply(Outcome.FAIL)
        except _UNAVAILABLE as exc:
            metrics.BACKEND_ERRORS.labels(metrics.component_of(exc)).inc()
            log.warning("%s %s: %s", self.dialect.NAME, op, exc)
            return Reply(Outcome.FAIL)
        except Exception:
            log.exception("%s %s failed", self.dialect.NAME, op)
            return Reply(Outcome.FAIL)


class ReadableEndpoint(Endpoint):
    """An endpoint clients also reach with GET: `sharefiles?cmd=count` (PROTOCOL.md §4.10)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.on_post(req, resp)
