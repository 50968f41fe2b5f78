"""deploy/nginx answers requests it refuses itself (rate limits, an upload over its size) with the
endpoint's own failure answer (D1). Its table must say what the app says, for every endpoint, cmd
and dialect: this test reads the nginx map and compares it with the app's answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuchuang.app import api_only, endpoints
from tuchuang.config import Config
from tuchuang.protocol import api, legacy
from tuchuang.protocol.replies import Reply
from tuchuang.services.outcomes import Outcome

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "tuchuang.conf"


def nginx_map() -> tuple[str, dict[str, str], list[tuple[re.Pattern, str]]]:
    text = CONF.read_text()
    block = re.search(r'map "\$uri\?\$arg_cmd" \$tuchuang_failure \{\n(.*?)\n\}', text, re.S).group(1)
    default, exact, regexes = None, {}, []
    for line in block.splitlines():
        m = re.match(r"\s*(\S+)\s+(?:'(.*)'|\"(.*)\");$", line)
        assert m, line
        key, value = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        if key == "default":
            default = value
        elif key.startswith("~"):
            regexes.append((re.compile(key[1:]), value))
        else:
            exact[key.strip('"')] = value
    return default, exact, regexes


def nginx_answer(key: str) -> str:
    """What nginx's map gives: an exact key first, then the regexes in order, else the default."""
    default, exact, regexes = nginx_map()
    if key in exact:
        return exact[key]
    for pattern, value in regexes:
        if pattern.search(key):
            return value
    return default


def app_answers() -> list[tuple[str, str]]:
    cases = []
    for prefix, dialect in (("", legacy), ("/api", api)):
        routes = endpoints(dialect, None, Config())
        if dialect is api:
            routes.update(api_only(None, Config()))
        for path, ep in routes.items():
            for cmd in ["", "bogus", *(ep.commands or {})]:
                op = ep.name
                if ep.commands is not None and cmd in ep.commands:
                    op = f"{ep.name}.{ep.commands[cmd][0]}"
                body, _ = dialect.render(op, Reply(Outcome.FAIL))
                cases.append((f"{prefix}/{path}?{cmd}", body.decode()))
    return cases


@pytest.mark.parametrize(("key", "body"), app_answers())
def test_nginx_failure_answers_equal_the_apps(key: str, body: str) -> None:
    assert nginx_answer(key) == body


def test_pages_are_not_protocol_answers() -> None:
    for key in ("/share?", "/api/share?", "/healthz?", "/api/openapi.json?", "/?"):
        assert nginx_answer(key) == ""
