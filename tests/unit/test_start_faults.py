"""Issue 15: every configuration or connection fault at start ends with one line that names the
variable or component and what is wrong, exit status 2, no traceback; bad values are refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MYSQL_URL

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    base["TUCHUANG_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(args, env={**base, **env}, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)


def one_line(result: subprocess.CompletedProcess, *names: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


TUCHUANG = [sys.executable, "-m", "tuchuang"]
BAD_VALUES = [
    ({"TUCHUANG_PORT": "abc"}, ["TUCHUANG_PORT", "not a whole number: 'abc'"]),
    ({"TUCHUANG_LOG_LEVEL": "verbose"}, ["TUCHUANG_LOG_LEVEL"]),
    ({"TUCHUANG_LOG_FORMAT": "xml"}, ["TUCHUANG_LOG_FORMAT"]),
    ({"TUCHUANG_ARGON2_TIME_COST": "0"}, ["TUCHUANG_ARGON2_TIME_COST"]),
    ({"TUCHUANG_ARGON2_MEMORY_KIB": "1"}, ["TUCHUANG_ARGON2_MEMORY_KIB"]),
    ({"TUCHUANG_REDIS_URL": "redis://127.0.0.1:6379/abc"}, ["TUCHUANG_REDIS_URL", "'/abc'"]),
    ({"TUCHUANG_MAX_UPLOAD_BYTES": "lots"}, ["TUCHUANG_MAX_UPLOAD_BYTES", "not a size"]),
    ({"TUCHUANG_SESSION_CACHE_SECONDS": "soon"}, ["TUCHUANG_SESSION_CACHE_SECONDS", "not a number"]),
    ({"TUCHUANG_STORE_PATHS": "group2=/srv/fdfs"}, ["TUCHUANG_STORE_PATHS", "group<N>/M<nn>=/absolute/path"]),
    (
        {"TUCHUANG_BLOB_STORE": "fastdfs", "TUCHUANG_FDFS_CLIENT_CONF": "/nonexistent/client.conf"},
        ["TUCHUANG_FDFS_CLIENT_CONF", "no such file"],
    ),
]


@pytest.mark.parametrize(
    ("env", "names"), BAD_VALUES, ids=[next(iter(e)) + "=" + next(iter(e.values())) for e, _ in BAD_VALUES]
)
def test_a_bad_value_is_refused_in_one_line(env: dict, names: list[str], tmp_path: Path) -> None:
    one_line(run([*TUCHUANG, "serve"], env, tmp_path), *names)
    # gunicorn behind nginx reads the same settings, and fails the same way before any worker
    line = one_line(run([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py")], env, tmp_path))
    assert names[0] in line


def test_an_unwritable_data_directory(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    env = {"TUCHUANG_DATA_DIR": str(tmp_path / "a-file" / "data")}
    one_line(run([*TUCHUANG, "serve"], env, tmp_path), "TUCHUANG_DATA_DIR", "cannot write")


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run([*TUCHUANG, "serve", "--port", str(port)], {}, tmp_path, timeout=20)
    one_line(result, f"127.0.0.1:{port}", "in use", "TUCHUANG_PORT")


def test_an_unreachable_database(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there
    env = {"TUCHUANG_DATABASE_URL": f"mysql://tuchuang:secret@127.0.0.1:{port}/tuchuang?connect_timeout=2"}
    for command in (["serve"], ["db", "upgrade"], ["db", "status"]):
        line = one_line(run([*TUCHUANG, *command], env, tmp_path), "the database", "2003")
        assert "secret" not in line  # the password is never printed


@pytest.mark.skipif(not MYSQL_URL, reason="MySQL tier skipped: TUCHUANG_TEST_MYSQL_URL is not set")
def test_a_wrong_database_password(tmp_path: Path) -> None:
    url = MYSQL_URL.replace("//root@", "//root:wrong-password@")
    for command in (["serve"], ["db", "upgrade"]):
        line = one_line(run([*TUCHUANG, *command], {"TUCHUANG_DATABASE_URL": url}, tmp_path), "1045")
        assert "wrong-password" not in line


def test_version_and_help_for_people(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run([*TUCHUANG, "--version"], {}, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"tuchuang {version('tuchuang')}"
    for args in (["--help"], ["serve", "--help"], ["import", "--help"], ["fsck", "--help"]):
        shown = run([*TUCHUANG, *args], {}, tmp_path).stdout
        assert shown.startswith("usage: tuchuang") and "`" not in shown, shown
