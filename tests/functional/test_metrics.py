"""Issue 15: /metrics in Prometheus's format counts requests by endpoint, dialect and outcome,
times them, counts upload bytes and cache lookups; only its own host may read it."""

from __future__ import annotations

import re

from tests.client import Client, Dialect
from tuchuang.app import create_app

API, LEGACY = Dialect("api"), Dialect("legacy")


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if m and m.group(1) == name:
            got = ",".join(sorted(m.group(2).split(","))) if m.group(2) else ""
            if got == wanted:
                return float(m.group(3))
    return 0.0


def test_a_request_is_counted(app: Client) -> None:
    before = app.web.get("/metrics").text
    token = app.user(API, "alice")
    app.call(API, "/login", {"user": "alice", "pwd": "0" * 32})
    app.upload(API, "alice", "a.bin", b"x" * 1000, token=token)
    app.call(LEGACY, "/myfiles?cmd=count", {"user": "alice", "token": token})
    after = app.web.get("/metrics").text
    for labels, more in (
        ({"endpoint": "login", "dialect": "api", "outcome": "fail"}, 1),
        ({"endpoint": "login", "dialect": "api", "outcome": "ok"}, 1),
        ({"endpoint": "upload", "dialect": "api", "outcome": "ok"}, 1),
        ({"endpoint": "myfiles.count", "dialect": "legacy", "outcome": "ok"}, 1),
    ):
        assert (
            value(after, "tuchuang_requests_total", **labels) - value(before, "tuchuang_requests_total", **labels)
            == more
        ), labels
    assert value(after, "tuchuang_upload_bytes_total") - value(before, "tuchuang_upload_bytes_total") == 1000
    timed = {"route": "/myfiles", "method": "POST", "le": "+Inf"}
    assert value(after, "tuchuang_http_request_seconds_bucket", **timed) >= 1
    assert value(after, "tuchuang_cache_lookups_total", cache="sessions", result="miss") >= 1


def test_only_its_own_host_reads_the_metrics(config, services) -> None:  # noqa: ANN001
    outsider = Client(create_app(config, services), remote_addr="203.0.113.9")
    assert outsider.web.get("/metrics", expect_errors=True).status_int == 404
    proxied = Client(create_app(config.replace(trusted_proxies=("127.0.0.1",)), services))
    assert proxied.web.get("/metrics", headers={"X-Real-IP": "127.0.0.1"}, expect_errors=True).status_int == 404
    assert proxied.web.get("/metrics").status_int == 200
