"""Prometheus metrics at `/metrics`, correct under several gunicorn workers (prometheus_client's
multiprocess mode: each worker writes its values to files in TUCHUANG_METRICS_DIR, and a scrape adds
them up). The endpoint answers only its own host (loopback, or TUCHUANG_METRICS_ALLOW), and never
through a proxy: deploy/nginx keeps it off the public site.

Under gunicorn the directory is prepared in the master before any worker starts
(gunicorn_settings.py); a process without it (the tests) keeps its metrics in memory.
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import Any

import falcon
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by gunicorn_settings in the master, before this is imported

REQUESTS = Counter(
    "tuchuang_requests_total",
    "Protocol requests by endpoint, dialect and outcome",
    ["endpoint", "dialect", "outcome"],
)
HTTP_SECONDS = Histogram(
    "tuchuang_http_request_seconds",
    "Time to answer an HTTP request, by route and method",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
UPLOAD_BYTES = Counter("tuchuang_upload_bytes_total", "Bytes of uploads stored")
UPLOAD_SECONDS = Histogram(
    "tuchuang_upload_seconds",
    "Time to store an upload the app has received (md5 check, blob write, database)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
BACKEND_ERRORS = Counter(
    "tuchuang_backend_errors_total",
    "Requests that failed because a component did not answer",
    ["component"],
)
CACHE = Counter("tuchuang_cache_lookups_total", "Cache lookups by cache and result", ["cache", "result"])


def component_of(exc: BaseException) -> str:
    from tuchuang.errors import DatabaseUnavailable, SessionStoreUnavailable, StorageUnavailable

    if isinstance(exc, DatabaseUnavailable):
        return "database"
    if isinstance(exc, SessionStoreUnavailable):
        return "sessions"
    if isinstance(exc, StorageUnavailable):
        return "blobs"
    return "other"


class Timing:
    """Middleware: every request's time, by its route template (never its raw path)."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        started = getattr(req.context, "started", None)
        if started is None:
            return
        route = req.uri_template or "unrouted"
        HTTP_SECONDS.labels(route, req.method).observe(time.perf_counter() - started)


class MetricsPage:
    def __init__(self, allow: tuple[str, ...], trusted_proxy: Any) -> None:
        self.allow = tuple(ipaddress.ip_network(a, strict=False) for a in allow)
        self.trusted_proxy = trusted_proxy

    def _allowed(self, req: falcon.Request) -> bool:
        peer = req.remote_addr or ""
        if self.trusted_proxy(peer) and req.get_header("X-Real-IP"):
            return False  # came through nginx: the public site never shows metrics
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.allow)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self._allowed(req):
            raise falcon.HTTPNotFound()
        directory = os.environ.get(ENV)
        if directory:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)
            resp.data = generate_latest(registry)
        else:
            resp.data = generate_latest()
        resp.content_type = CONTENT_TYPE_LATEST
