"""End-to-end tests over real HTTP against a running deployment.

    TUCHUANG_E2E_URL=http://host:port python -m pytest tests/e2e

They use fresh user names on every run, so they can run against any deployment (compose, a hand
install, `deploy/stack.py`). Tests that forge requests to gunicorn directly also need
TUCHUANG_E2E_APP_URL (gunicorn's address) and TUCHUANG_E2E_PROXY_SPOOL_DIR (nginx's spool
directory on this host).
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import json
import os
import random
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.client import PWD, Dialect, qt_json

E2E_URL = os.environ.get("TUCHUANG_E2E_URL", "").rstrip("/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if E2E_URL:
        return
    skip = pytest.mark.skip(reason="end-to-end tier skipped: TUCHUANG_E2E_URL is not set")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """A tiny HTTP client on http.client: one connection per call, bodies may be iterables."""

    def __init__(self, base: str, source_address: tuple[str, int] | None = None) -> None:
        parts = urlsplit(base)
        self.base = base.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.source_address = source_address

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=120, source_address=self.source_address)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        if path.startswith("http"):
            path = urlsplit(path)._replace(scheme="", netloc="").geturl()
        conn = self.connect()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def post(self, path: str, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Reply:
        data = qt_json(body) if isinstance(body, dict) else body
        return self.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})

    def call(self, path: str, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Any:
        reply = self.post(path, body, headers)
        assert reply.status == 200, (path, reply.status, reply.body[:300])
        return reply.json


_CLIENTS = itertools.count()
_RUN = random.Random().randrange(1, 255)  # another run within the hour sends from other addresses


@pytest.fixture
def web() -> Http:
    """Each test is a client of its own. On a deployment reached over loopback it sends from an
    address of its own (127.R.x.y), so the per-address limits a deployment ships with (logins per
    second, registrations per hour) meet each test as they meet one person, not the whole suite as
    one client flooding the server. A remote deployment sees the suite as one client."""
    host = urlsplit(E2E_URL).hostname or "127.0.0.1"
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        return Http(E2E_URL)
    n = next(_CLIENTS)
    return Http(E2E_URL, source_address=(f"127.{_RUN}.{n // 250}.{n % 250 + 1}", 0))


@pytest.fixture(params=["legacy", "api"])
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return Dialect(request.param)


def new_user(web: Http, d: Dialect, stem: str = "e2e") -> tuple[str, str]:
    """Register a fresh user and log in; return (user, token)."""
    user = f"{stem}{uuid.uuid4().hex[:10]}"
    reply = web.call(f"{d.prefix}/reg", {"userName": user, "nickName": user, "firstPwd": PWD})
    assert reply["code"] == d.code("reg.ok"), reply
    reply = web.call(f"{d.prefix}/login", {"user": user, "pwd": PWD})
    assert reply["code"] == d.code("login.ok"), reply
    return user, reply["token"]
