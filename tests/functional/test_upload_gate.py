"""The question nginx asks before it takes an upload body (`/internal/upload-allowed`), on both
session stores: only what the headers say, 204 to go on, 403 to refuse."""

from __future__ import annotations

from tests.client import Client, Dialect

API, LEGACY = Dialect("api"), Dialect("legacy")


def gate(app, uri: str, addr: str = "127.0.0.1", **headers: str) -> int:  # noqa: ANN001
    web = Client(app.web.app, remote_addr=addr).web
    return web.get(
        "/internal/upload-allowed", headers={"X-Original-URI": uri, **headers}, expect_errors=True
    ).status_int


def test_legacy_uploads_need_a_session_from_the_address(app) -> None:  # noqa: ANN001
    assert gate(app, "/upload") == 403  # nobody has logged in from anywhere
    app.register(LEGACY, "alice")
    app.login(LEGACY, "alice")  # from 127.0.0.1
    assert gate(app, "/upload") == 204
    assert gate(app, "/upload", addr="198.51.100.4") == 403


def test_tokens_must_be_live(app) -> None:  # noqa: ANN001
    app.register(API, "bob")
    token = app.login(API, "bob")
    assert gate(app, "/api/upload", Authorization=f"Bearer {token}") == 204
    assert gate(app, "/api/upload", Authorization=f"Bearer {'0' * 32}") == 403
    assert gate(app, "/api/upload", Authorization="Bearer nonsense") == 403
    assert gate(app, "/api/upload", addr="198.51.100.4") == 204  # its token may be in the body


def test_token_less_uploads_from_another_site_are_refused(app) -> None:  # noqa: ANN001
    app.register(LEGACY, "carol")
    app.login(LEGACY, "carol")
    assert gate(app, "/upload", Origin="https://evil.example") == 403
    assert gate(app, "/api/upload", **{"Sec-Fetch-Site": "cross-site"}) == 403
