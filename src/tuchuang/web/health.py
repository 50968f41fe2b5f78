"""Liveness and readiness for load balancers, compose health checks and the benchmark ceiling."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import falcon

from tuchuang.errors import TuchuangError

log = logging.getLogger(__name__)


class Live:
    """`/healthz`: the worker answers. Touches nothing else (the benchmark's ceiling endpoint)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = b'{"status":"ok"}'
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["no-store"]

    on_head = on_get


class Ready:
    """`/readyz`: the database, the session store and the blob store each answer; 503 if not."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        checks = {
            "database": self._database,
            "sessions": self._sessions,
            "blobs": self._blobs,
        }
        results = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except (TuchuangError, OSError) as exc:
                log.warning("readiness: %s: %s", name, exc)
                results[name] = "unavailable"
        ok = all(v == "ok" for v in results.values())
        resp.status = falcon.HTTP_200 if ok else falcon.HTTP_503
        resp.data = json.dumps({"status": "ok" if ok else "unavailable", "checks": results}).encode()
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["no-store"]

    def _database(self) -> None:
        with self.services.store.read() as tx:
            tx.ping()

    def _sessions(self) -> None:
        self.services.sessions.user_of("readiness-probe", int(time.time()))

    def _blobs(self) -> None:
        check = getattr(self.services.blobs, "check", None)
        if check is not None:
            check()
