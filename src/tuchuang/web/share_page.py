"""The picture share page, rendered on the server: one view counted per load (D7)."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import falcon
import jinja2

from tuchuang.config import Config
from tuchuang.errors import DatabaseUnavailable, SessionStoreUnavailable, StorageUnavailable
from tuchuang.protocol.endpoint import Call
from tuchuang.services.outcomes import Outcome, Refused

if TYPE_CHECKING:
    from tuchuang.app import Services

log = logging.getLogger(__name__)

MESSAGES = {
    Outcome.NOT_FOUND: "分享不存在或已取消 — this share does not exist or was cancelled.",
    Outcome.FILE_DELETED: "文件已经被删除 — the picture was deleted by its owner.",
}


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tuchuang.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


class SharePage:
    def __init__(self, services: Services, config: Config, env: jinja2.Environment | None = None) -> None:
        self.services = services
        self.config = config
        self.template = (env or templates()).get_template("share.html")

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        call = Call(req, self.services, self.config, "page")
        nonce = secrets.token_urlsafe(16)
        context: dict[str, Any] = {"nonce": nonce, "picture": None, "message": ""}
        try:
            seen = self.services.pictures.browse((req.get_param("urlmd5") or "")[:64])
            context["picture"] = {**seen._asdict(), "url": f"{call.base_url}/{seen.file_id}", "time": seen.create_time}
        except Refused as exc:
            resp.status = falcon.HTTP_404
            context["message"] = MESSAGES.get(exc.outcome, MESSAGES[Outcome.NOT_FOUND])
        except (DatabaseUnavailable, SessionStoreUnavailable, StorageUnavailable) as exc:
            log.warning("share page: %s", exc)
            resp.status = falcon.HTTP_503
            context["message"] = "暂时无法访问 — temporarily unavailable, try again later."
        resp.content_type = "text/html; charset=utf-8"
        resp.text = self.template.render(**context)
        img_src = "'self'" if not self.config.public_url else f"'self' {self.config.public_url}"
        resp.set_header(
            "Content-Security-Policy",
            f"default-src 'none'; img-src {img_src}; style-src 'nonce-{nonce}'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "no-referrer")
        resp.set_header("Cache-Control", "no-store")
