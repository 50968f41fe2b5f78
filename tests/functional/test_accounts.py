"""reg and login in both dialects (PROTOCOL.md §4.1, §4.2, DECISIONS.md D2, D3)."""

from __future__ import annotations

import re

from tests.client import PWD


def test_register_then_login_gives_a_32_hex_token(app, dialect):
    assert app.register(dialect, "kevin", email="472251823@qq.com", phone="18612345678") == {
        "code": dialect.code("reg.ok")
    }
    token = app.login(dialect, "kevin")
    assert re.fullmatch(r"[0-9a-f]{32}", token)


def test_register_existing_user_name(app, dialect):
    app.register(dialect, "kevin")
    assert app.register(dialect, "kevin", nick="other") == {"code": dialect.code("reg.exists")}


def test_register_duplicate_nick_is_a_failure_not_exists(app, dialect):
    app.register(dialect, "kevin", nick="lucky")
    assert app.register(dialect, "milo", nick="lucky") == {"code": dialect.code("reg.fail")}


def test_register_field_rules(app, dialect):
    fail = {"code": dialect.code("reg.fail")}
    assert app.register(dialect, "a" * 33) == fail
    assert app.register(dialect, "kevin", pwd="123456") == fail
    assert app.register(dialect, "kevin", email="not-an-address") == fail
    assert app.register(dialect, "kevin", phone="1" * 17) == fail
    assert app.register(dialect, "with space") == fail
    assert app.register(dialect, "kevin") == {"code": dialect.code("reg.ok")}


def test_password_is_stored_hashed(app, dialect, services):
    app.register(dialect, "kevin")
    with services.store.read() as tx:
        stored = tx.password_hash("kevin")
    assert stored.startswith("$argon2id$") and PWD not in stored


def test_login_failures(app, dialect):
    app.register(dialect, "kevin")
    wrong = app.call(dialect, "/login", {"user": "kevin", "pwd": "0" * 32})
    unknown = app.call(dialect, "/login", {"user": "nobody", "pwd": PWD})
    empty = app.call(dialect, "/login", {"user": "nobody", "pwd": ""})
    expected = {"code": "001", "token": "fail"} if dialect.name == "legacy" else {"code": 1}
    assert wrong == unknown == empty == expected


def test_each_login_is_a_separate_live_session(app, dialect):
    app.register(dialect, "kevin")
    first, second = app.login(dialect, "kevin"), app.login(dialect, "kevin")
    assert first != second
    for token in (first, second):
        reply = app.call(dialect, "/myfiles?cmd=count", {"token": token, "user": "kevin"})
        assert reply["code"] == ("110" if dialect.name == "legacy" else 0)


def test_token_belongs_to_its_user_only(app, dialect):
    a = app.user(dialect, "alice")
    app.user(dialect, "bobby")
    reply = app.call(dialect, "/myfiles?cmd=count", {"token": a, "user": "bobby"})
    assert reply["code"] == ("111" if dialect.name == "legacy" else 1)
