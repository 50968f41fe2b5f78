"""nginx serves the web front's files with the app's own headers (src/tuchuang/web/front.py): the two
must not drift apart, or the front behind nginx would run under another policy than in tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuchuang.cli import main
from tuchuang.web.front import CSP, TYPES, asset

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "tuchuang.conf"


def front_locations() -> dict[str, str]:
    text = CONF.read_text()
    blocks = {}
    for m in re.finditer(r"\n    location (= /|~ \^/static/\S+) \{\n(.*?)\n    \}", text, re.S):
        blocks[m.group(1)] = m.group(2)
    return blocks


def test_both_front_locations_send_the_apps_headers() -> None:
    blocks = front_locations()
    assert len(blocks) == 2, blocks.keys()
    for body in blocks.values():
        headers = dict(re.findall(r'add_header (\S+) "?(.*?)"? always;', body))
        assert headers == {
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        assert "root /var/lib/tuchuang/front;" in body
        assert "@front_from_app" in body  # nothing exported yet: the app answers


def test_nginx_serves_exactly_the_apps_assets() -> None:
    static = next(key for key in front_locations() if key.startswith("~"))
    names = re.search(r"\(\?<tuchuang_asset>(.*?)\)\$", static).group(1).replace("\\.", ".").split("|")
    assert sorted(names) == sorted(name for name in TYPES if name != "index.html")


def test_front_command_writes_the_packaged_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "front"
    (target).mkdir()
    (target / "app.js").write_text("an older release")
    assert main(["front", str(target)]) == 0
    for name in TYPES:
        assert (target / name).read_bytes() == asset(name)[0]
        assert (target / name).stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in target.iterdir()) == sorted(TYPES)  # no temporary file left behind
    assert str(target) in capsys.readouterr().out


def test_front_command_says_why_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "a-file").write_text("")
    assert main(["front", str(tmp_path / "a-file" / "front")]) == 1
    assert "cannot write" in capsys.readouterr().err
