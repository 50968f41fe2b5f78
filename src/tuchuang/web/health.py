"""Liveness and readiness for load balancers, compose health checks and the benchmark ceiling."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import falcon

from tuchuang.errors import TuchuangError

if TYPE_CHECKING:
    from tuchuang.app import Services

log = logging.getLogger(__name__)


class Live:
    """`/healthz`: the worker answers. Touches nothing else (the benchmark's ceiling endpoint)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = b'{"status":"ok"}'
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["no-store"]

    on_head = on_get


class Ready:
    """`/readyz`: the database, the session store and the blob store each answer; 503 if not.

    The three checks run at once and the answer comes within BUDGET seconds whatever hangs: a
    part that has not answered by then is "timeout". While a check of a part still hangs, later
    probes do not start another one (they report "timeout" at once), so a stuck component cannot
    pile up threads, one per probe.
    """

    BUDGET = 1.5

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        checks = {
            "database": self._database,
            "sessions": self._sessions,
            "blobs": self._blobs,
        }
        results: dict[str, str] = {}
        started: dict[str, threading.Thread] = {}
        with self._lock:
            for name, check in checks.items():
                earlier = self._running.get(name)
                if earlier is not None and earlier.is_alive():
                    results[name] = "timeout"
                    continue
                thread = threading.Thread(target=self._run, args=(name, check, results), daemon=True)
                self._running[name] = started[name] = thread
                thread.start()
        deadline = time.monotonic() + self.BUDGET
        for thread in started.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        report = {}
        for name in checks:
            outcome = results.get(name, "timeout")
            if outcome == "timeout":
                log.warning("readiness: %s did not answer within %.1f s", name, self.BUDGET)
            report[name] = outcome
        ok = all(v == "ok" for v in report.values())
        resp.status = falcon.HTTP_200 if ok else falcon.HTTP_503
        resp.data = json.dumps({"status": "ok" if ok else "unavailable", "checks": report}).encode()
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["no-store"]

    @staticmethod
    def _run(name: str, check: Any, results: dict[str, str]) -> None:
        try:
            check()
            results[name] = "ok"
        except (TuchuangError, OSError) as exc:
            log.warning("readiness: %s: %s", name, exc)
            results[name] = "unavailable"
        except Exception:
            log.exception("readiness: %s failed", name)
            results[name] = "unavailable"

    def _database(self) -> None:
        with self.services.store.read() as tx:
            tx.ping()

    def _sessions(self) -> None:
        self.services.sessions.user_of("readiness-probe", int(time.time()))

    def _blobs(self) -> None:
        check = getattr(self.services.blobs, "check", None)
        if check is not None:
            check()
