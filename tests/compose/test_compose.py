"""The compose topology for real (issue 16): docker-compose.yml as shipped, on a running dockerd.

Runs when TUCHUANG_TEST_COMPOSE is the compose command of a started project, e.g.
`docker-compose -p tuchuangci --env-file ci.env` (with DOCKER_HOST set), and TUCHUANG_TEST_COMPOSE_URL
is its published address. `.ci/compose/run` starts such a project on CI stand-in images, runs this
file, and removes everything. The tests run in order: the last one takes the project down and up.
Every wait is bounded; nothing here is left running.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import PWD, Dialect, md5_hex, qt_upload_body
from tests.e2e.conftest import Http

COMPOSE = shlex.split(os.environ.get("TUCHUANG_TEST_COMPOSE", ""))
URL = os.environ.get("TUCHUANG_TEST_COMPOSE_URL", "")
pytestmark = pytest.mark.skipif(not (COMPOSE and URL), reason="TUCHUANG_TEST_COMPOSE is not set (.ci/compose/run)")
ROOT = Path(__file__).resolve().parents[2]
API, LEGACY = Dialect("api"), Dialect("legacy")
SERVICES = ("mysql", "redis", "tracker", "storage", "app", "nginx")
BOUND = 120.0  # seconds a service may take to be healthy and serving again


def compose(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([*COMPOSE, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def container(service: str) -> str:
    return compose("ps", "-q", service).stdout.strip()


def health(service: str) -> str:
    cid = container(service)
    return docker("inspect", "-f", "{{.State.Health.Status}}", cid) if cid else "absent"


def eventually(what: str, check: Callable[[], bool], bound: float = BOUND) -> float:
    """Wait until `check()` holds; return how long it took."""
    start = time.monotonic()
    last: object = None
    while time.monotonic() - start < bound:
        try:
            if check():
                return time.monotonic() - start
        except Exception as exc:  # a service on its way up: refused connections, failure codes
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what}: not within {bound:.0f}s (last: {last!r})")


def all_healthy() -> bool:
    return all(health(service) == "healthy" for service in SERVICES)


class Person:
    """A user of the deployment, from the host through the published port."""

    def __init__(self) -> None:
        self.web = Http(URL)
        self.user = f"cmp{uuid.uuid4().hex[:10]}"
        reply = self.web.call("/api/reg", {"userName": self.user, "nickName": self.user, "firstPwd": PWD})
        assert reply["code"] == 0, reply
        self.token = self.login()
        self.files: dict[str, bytes] = {}

    def login(self) -> str:
        reply = self.web.call("/api/login", {"user": self.user, "pwd": PWD})
        assert reply["code"] == 0, reply
        return reply["token"]

    def upload(self, content: bytes | None = None) -> None:
        content = content or os.urandom(200_000)
        name = f"f{len(self.files)}.bin"
        reply = self.web.call(
            "/api/upload", qt_upload_body(self.user, name, content), {"Authorization": f"Bearer {self.token}"}
        )
        assert reply == {"code": 0}, reply
        self.files[name] = content

    def listing(self) -> dict[str, str]:
        body = {"user": self.user, "token": self.token, "start": 0, "count": 100}
        reply = self.web.call("/api/myfiles?cmd=normal", body)
        assert reply["code"] == 0, reply  # the token is still good
        return {f["file_name"]: f["url"] for f in reply["files"]}

    def everything_is_there(self) -> bool:
        urls = self.listing()
        assert sorted(urls) == sorted(self.files)
        for name, url in urls.items():
            got = self.web.request("GET", url)
            assert got.status == 200 and md5_hex(got.body) == md5_hex(self.files[name]), name
        return True

    def works(self) -> bool:
        """Logs in, uploads, lists and downloads everything, with the token from before."""
        self.everything_is_there()
        assert self.login()
        self.upload()
        return self.everything_is_there()


@pytest.fixture(scope="module")
def person() -> Person:
    eventually("every service healthy", all_healthy)
    somebody = Person()
    somebody.upload()
    return somebody


def test_every_service_is_healthy_and_the_port_is_where_the_env_file_says(person: Person) -> None:
    """Item 1: the app is the app stage (gunicorn with a health check), and nginx is created."""
    assert all_healthy()
    migrate = docker("inspect", "-f", "{{.State.ExitCode}}", compose("ps", "-a", "-q", "migrate").stdout.strip())
    assert migrate == "0"
    assert "gunicorn" in docker("inspect", "-f", "{{json .Config.Cmd}}", container("app"))
    published = docker("port", container("nginx"), "80/tcp")
    assert published.splitlines() == [URL.removeprefix("http://")]  # item 9: bound where the .env says


def test_the_end_to_end_profile_passes_with_nothing_skipped() -> None:
    """Item 10 (and item 3, whose check is in it): the whole e2e suite inside the compose network."""
    result = compose("--profile", "tests", "run", "--rm", "e2e", "python", "-m", "pytest", "-p", "no:cacheprovider",
                     "-q", "-rs", "tests/e2e", check=False)  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "skipped" not in summary and "passed" in summary, summary
    assert int(summary.split(" passed")[0].split()[-1]) >= 30, summary


def test_the_test_image_installs_the_locked_versions() -> None:
    """Item 9: the test stage takes pytest (and everything else) from requirements/test.txt."""
    locked = next(
        line for line in (ROOT / "requirements/test.txt").read_text().splitlines() if line.startswith("pytest==")
    )
    result = compose("--profile", "tests", "run", "--rm", "--no-deps", "e2e", "python", "-c",
                     "import pytest, cryptography; print(pytest.__version__)")  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == locked.split("==")[1]


def test_fsck_checks_the_whole_store_from_the_app_container(person: Person) -> None:
    """Item 8: the storage volume is in the app container, so fsck also looks for orphans."""
    result = compose("exec", "-T", "app", "tuchuang", "fsck", "--json", check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["consistent"] and report["unchecked"] == [], report


@pytest.mark.parametrize("service", ["app", "nginx", "mysql", "redis", "storage"])
def test_a_restarted_service_comes_back_and_nothing_is_lost(person: Person, service: str) -> None:
    """Restarts of each service: logins, uploads and downloads work again within the bound, with
    the token from before (item 4: Redis keeps sessions), and every stored file is there."""
    compose("restart", service)
    eventually(f"{service} healthy again", lambda: health(service) == "healthy")
    eventually(f"service after restarting {service}", person.works)


def test_recreating_the_app_leaves_nginx_working(person: Person) -> None:
    """Item 2: nginx is a service of its own; a recreated app (any `up -d` after a change) is
    reached at the same address, without touching nginx."""
    nginx_before = container("nginx")
    compose("up", "-d", "--no-deps", "--force-recreate", "app")
    eventually("app healthy after recreate", lambda: health("app") == "healthy")
    eventually("service after recreating app", person.works)
    assert container("nginx") == nginx_before


def test_a_crashed_app_is_restarted_by_docker(person: Person) -> None:
    """Item 2's crash restart: the app's main process dies (killed by its pid on this host, which
    Docker sees as a crash, unlike `docker kill`); Docker restarts it and nginx reaches it again."""
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", container("app")))
    os.kill(pid, signal.SIGKILL)
    eventually("app restarted and healthy", lambda: health("app") == "healthy")
    eventually("service after the app was killed", person.works)


def test_the_fastdfs_services_stop_on_sigterm() -> None:
    """Item 11: the image's PID 1 is a shell that ignores SIGTERM; with an init in front, a stop
    takes a moment, not the 10 s kill timeout."""
    start = time.monotonic()
    compose("stop", "-t", "10", "storage")
    took = time.monotonic() - start
    compose("start", "storage")
    assert took < 6, took
    eventually("storage healthy", lambda: health("storage") == "healthy")


def test_a_changed_database_password_is_an_unhealthy_database(person: Person, tmp_path: Path) -> None:
    """Item 5: the password is fixed at the first start; after TUCHUANG_DB_PASSWORD changes, the
    health check logs in with the new one and fails, instead of calling the database healthy."""
    env_file = COMPOSE[COMPOSE.index("--env-file") + 1]
    changed = tmp_path / "changed.env"
    changed.write_text(Path(env_file).read_text() + "\nTUCHUANG_DB_PASSWORD=not-the-first-one\n")
    other = [
        *COMPOSE[: COMPOSE.index("--env-file")],
        "--env-file",
        str(changed),
        *COMPOSE[COMPOSE.index("--env-file") + 2 :],
    ]
    subprocess.run([*other, "up", "-d", "--no-deps", "mysql"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    try:

        def denied() -> bool:
            state = json.loads(docker("inspect", "-f", "{{json .State.Health}}", container("mysql")))
            assert state["Status"] != "healthy"
            return any("Access denied" in entry["Output"] for entry in state["Log"])

        eventually("the health check refused by the database", denied, 90)
    finally:
        compose("up", "-d", "--no-deps", "mysql")
    eventually("mysql healthy with the first password", lambda: health("mysql") == "healthy")
    eventually("service with the first password", person.works)


def test_down_and_up_keep_everything(person: Person) -> None:
    """`down` + `up`: users, files, sessions (item 4) are kept; no anonymous volume is left (item 11)."""
    project = compose("ps", "-q", "mysql")  # the project exists
    assert project.stdout.strip()
    dangling_before = set(docker("volume", "ls", "-q", "-f", "dangling=true").split())
    compose("down", timeout=300)
    dangling_after = set(docker("volume", "ls", "-q", "-f", "dangling=true").split())
    named = {name for name in dangling_after if not len(name) == 64}  # the project's named volumes
    assert dangling_after - dangling_before <= named, dangling_after - dangling_before - named
    compose("up", "-d", timeout=600)
    eventually("every service healthy after down + up", all_healthy)
    eventually("service after down + up", person.works)
