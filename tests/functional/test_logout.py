"""`/api/logout` ends the session on the server: its token stops verifying at once, and its
address stops counting for the legacy token-less actions, unless another session of the user
comes from there (both session stores)."""

from __future__ import annotations

from tests.client import Client, Dialect

API, LEGACY = Dialect("api"), Dialect("legacy")


def count(app, user: str, token: str) -> dict:  # noqa: ANN001
    return app.call(API, "/myfiles?cmd=count", {"user": user, "token": token})


def test_a_logged_out_token_no_longer_verifies(app) -> None:  # noqa: ANN001
    app.register(API, "leaver")
    token, other = app.login(API, "leaver"), app.login(API, "leaver")
    assert count(app, "leaver", token)["code"] == 0
    assert app.call(API, "/logout", {"user": "leaver", "token": token}) == {"code": 0}
    assert count(app, "leaver", token) == {"code": 1, "total": 0}
    assert app.call(API, "/logout", {"user": "leaver", "token": token}) == {"code": 4}
    assert count(app, "leaver", other)["code"] == 0  # only that session ended


def test_nobody_logs_out_someone_else(app) -> None:  # noqa: ANN001
    app.register(API, "victim")
    app.register(API, "mallory")
    token = app.login(API, "victim")
    app.login(API, "mallory")
    assert app.call(API, "/logout", {"user": "mallory", "token": token}) == {"code": 4}
    assert app.call(API, "/logout", {"user": "victim", "token": "0" * 32}) == {"code": 4}
    assert app.call(API, "/logout", {"user": "victim"}) == {"code": 1}
    assert count(app, "victim", token)["code"] == 0


def test_logout_takes_the_address_back_from_token_less_actions(app) -> None:  # noqa: ANN001
    app.register(LEGACY, "qt")
    first = app.login(API, "qt")  # from 127.0.0.1
    second = app.login(API, "qt")  # the same address again
    assert app.upload(LEGACY, "qt", "a.txt", b"one")["code"] == "008"
    assert app.call(API, "/logout", {"user": "qt", "token": first}) == {"code": 0}
    assert app.upload(LEGACY, "qt", "b.txt", b"two")["code"] == "008"  # the other session is here
    elsewhere = Client(app.web.app, remote_addr="198.51.100.8")
    away = elsewhere.login(API, "qt")
    assert app.call(API, "/logout", {"user": "qt", "token": second}) == {"code": 0}
    assert app.upload(LEGACY, "qt", "c.txt", b"three")["code"] == "009"  # no session here now
    assert elsewhere.upload(LEGACY, "qt", "d.txt", b"four")["code"] == "008"
    assert count(app, "qt", away)["code"] == 0
