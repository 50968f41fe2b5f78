"""Issue 13 on loopback: deploy/nginx/cluster.conf in front of two app nodes (each its own nginx
with deploy/nginx/tuchuang.conf and gunicorn, via deploy/stack.py) sharing MariaDB and Redis, and
a two-group fake FastDFS whose storages serve their files over HTTP, two per group. Uploads land in
both groups, every file downloads byte-exact through the front, a login on one node works on the
other, a lagging replica's 404 is retried on its peer, and a killed node or storage costs no
request that a client retries and no data. Bounded; everything started here is stopped by pid.

By hand on a real FastDFS of two groups: TUCHUANG_TEST_FDFS_CLUSTER_TRACKER=host:port and
TUCHUANG_TEST_FDFS_CLUSTER_GROUPS=group1=<store_path0>,group2=<store_path0> replace the fake."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import PWD, md5_hex, qt_upload_body
from tests.conftest import MYSQL_URL
from tests.e2e.conftest import Http
from tests.fakes.fastdfs_server import FakeFastDFS

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TUCHUANG_TEST_REDIS_URL")
# By hand, with a real FastDFS of two groups instead of the fake: its tracker (round robin:
# store_lookup = 0) and each group's store_path0 on this host, "group1=/path,group2=/path".
REAL_TRACKER = os.environ.get("TUCHUANG_TEST_FDFS_CLUSTER_TRACKER")
REAL_GROUPS = os.environ.get("TUCHUANG_TEST_FDFS_CLUSTER_GROUPS", "")
pytestmark = [
    pytest.mark.skipif(
        not (MYSQL_URL and REDIS_URL), reason="needs TUCHUANG_TEST_MYSQL_URL and TUCHUANG_TEST_REDIS_URL"
    ),
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

NGINX_CONF = """\
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
{site}
}}
"""
# A storage serving its store path read-only over HTTP (its files, nothing else).
STORAGE_SITE = """\
    server {{
        listen 127.0.0.1:{port};
        location ~ "^/{group}/M00/(?<blob>[0-9A-F]{{2}}/[0-9A-F]{{2}}/[A-Za-z0-9_-]{{6,64}}(\\.[A-Za-z0-9]{{1,6}})?)$" {{
            alias {store}/data/$blob;
        }}
    }}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx(directory: Path, site: str) -> subprocess.Popen:
    """An nginx of its own in `directory` serving `site` (server blocks for the http block)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tmp").mkdir(exist_ok=True)
    (directory / "nginx.conf").write_text(NGINX_CONF.format(dir=directory, site=site))
    return subprocess.Popen(
        ["nginx", "-c", str(directory / "nginx.conf"), "-p", str(directory)], start_new_session=True
    )


def wait_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def render_front(front: int, nodes: list[int], groups: dict[str, list[int]]) -> str:
    text = (ROOT / "deploy" / "nginx" / "cluster.conf").read_text()
    swaps = {
        "listen 80;": f"listen 127.0.0.1:{front};",
        "server 10.0.0.11:80 ": f"server 127.0.0.1:{nodes[0]} ",
        "server 10.0.0.12:80 ": f"server 127.0.0.1:{nodes[1]} ",
        "server 10.0.1.11:8888 ": f"server 127.0.0.1:{groups['group1'][0]} ",
        "server 10.0.1.12:8888 ": f"server 127.0.0.1:{groups['group1'][1]} ",
        "server 10.0.2.11:8888 ": f"server 127.0.0.1:{groups['group2'][0]} ",
        "server 10.0.2.12:8888 ": f"server 127.0.0.1:{groups['group2'][1]} ",
    }
    for old, new in swaps.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


class Cluster:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: dict[str, subprocess.Popen] = {}
        self.stacks: list[Path] = []
        self.fakes: list[FakeFastDFS] = []

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        for stack in self.stacks:
            subprocess.run(
                [sys.executable, str(ROOT / "deploy" / "stack.py"), "down", "--root", str(stack)], timeout=120
            )
        for fake in self.fakes:
            fake.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict]:
    # nginx's workers (www-data when run as root) must reach the spool: not under pytest's 0700 dirs
    base = Path(tempfile.mkdtemp(prefix="tuchuang-cluster-"))
    base.chmod(0o755)
    c = Cluster(base)
    try:
        if REAL_TRACKER:  # by hand: a real FastDFS with two groups (see the module's docstring)
            tracker = REAL_TRACKER
            roots = {group: Path(path) for group, _, path in (e.partition("=") for e in REAL_GROUPS.split(","))}
        else:
            group1 = FakeFastDFS(base / "g1", ip_size=46)
            group2 = FakeFastDFS(base / "g2", ip_size=46, group="group2", roles=("storage",))
            c.fakes += [group1, group2]
            group1.add_group("group2", "127.0.0.1", group2.storage_port)
            tracker, roots = group1.tracker, {"group1": group1.root, "group2": group2.root}
            for root in roots.values():
                (root / "data" / "00" / "00").mkdir(parents=True, exist_ok=True)
                for path in (root, *root.rglob("*")):
                    path.chmod(0o755)
        lagging = base / "lagging"  # a group1 replica that has not caught up: it has nothing yet
        (lagging / "data").mkdir(parents=True)
        storages = {"group1": [], "group2": []}
        for name, group, store in (
            ("s1a", "group1", roots["group1"]), ("s1b", "group1", lagging),
            ("s2a", "group2", roots["group2"]), ("s2b", "group2", roots["group2"]),
        ):  # fmt: skip
            port = free_port()
            c.procs[name] = nginx(base / name, STORAGE_SITE.format(port=port, group=group, store=store))
            storages[group].append(port)
        db = f"tuchuang_cluster_{os.getpid()}"
        database = MYSQL_URL.rsplit("/", 1)[0] + f"/{db}"
        prefix = f"tuchuang-cluster-{uuid.uuid4().hex[:8]}:"
        (base / "realip.conf").write_text("set_real_ip_from 127.0.0.1;\nreal_ip_header X-Real-IP;\n")
        nodes = []
        for i in range(2):
            root, port = base / f"node{i}", free_port()
            up = [
                sys.executable, str(ROOT / "deploy" / "stack.py"), "up", "--root", str(root), "--port", str(port),
                "--app-port", str(free_port()), "--database-url", database, "--redis-url", REDIS_URL,
                "--redis-prefix", prefix, "--fdfs-trackers", tracker, "--store-path", str(roots["group1"]),
                "--workers", "1", "--threads", "4", "--rate-limits", "relaxed", "--extra-conf", str(base / "realip.conf"),
            ]  # fmt: skip
            if i == 0:
                up.append("--create-database")
            c.stacks.append(root)
            subprocess.run(up, check=True, timeout=180, stdout=subprocess.DEVNULL)
            nodes.append(port)
        front = free_port()
        (base / "front").mkdir()
        (base / "front" / "cluster.conf").write_text(render_front(front, nodes, storages))
        c.procs["front"] = nginx(base / "front", f"    include {base / 'front'}/cluster.conf;")
        for port in (front, *storages["group1"], *storages["group2"]):
            wait_port(port)
        yield {
            "front": Http(f"http://127.0.0.1:{front}"),
            "nodes": [Http(f"http://127.0.0.1:{p}") for p in nodes],
            "stacks": c.stacks,
            "procs": c.procs,
        }
    finally:
        c.close()
        shutil.rmtree(base, ignore_errors=True)
        if MYSQL_URL:
            import pymysql

            from tuchuang.db.mysql import connect_args

            args = connect_args(MYSQL_URL)
            args.pop("database")
            conn = pymysql.connect(**args)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS tuchuang_cluster_{os.getpid()}")
            conn.close()


def retried(fn, attempts: int = 3):  # noqa: ANN001, ANN201
    """A client that tries a request again after a failure, as clients do."""
    for attempt in range(attempts):
        try:
            return fn()
        except AssertionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def account(web: Http) -> tuple[str, str]:
    user = f"cl{uuid.uuid4().hex[:10]}"
    assert web.call("/api/reg", {"userName": user, "nickName": user, "firstPwd": PWD})["code"] == 0
    reply = web.call("/api/login", {"user": user, "pwd": PWD})
    assert reply["code"] == 0
    return user, reply["token"]


def upload(web: Http, user: str, token: str, name: str, content: bytes) -> None:
    reply = web.call("/api/upload", qt_upload_body(user, name, content), {"Authorization": f"Bearer {token}"})
    assert reply == {"code": 0}, reply


def listing(web: Http, user: str, token: str) -> dict[str, str]:
    reply = web.call("/api/myfiles?cmd=normal", {"user": user, "token": token, "start": 0, "count": 100})
    assert reply["code"] == 0, reply
    return {f["file_name"]: f["url"].split("/", 3)[3] for f in reply["files"]}


def test_two_groups_two_nodes_one_front(cluster: dict) -> None:
    front, nodes = cluster["front"], cluster["nodes"]
    user, token = account(front)
    contents = {f"f{i}.bin": os.urandom(50_000 + i) for i in range(6)}
    for name, content in contents.items():
        upload(front, user, token, name, content)
    ids = listing(front, user, token)
    assert {file_id.split("/")[0] for file_id in ids.values()} == {"group1", "group2"}  # both groups
    for name, file_id in ids.items():  # group1's second storage lags: its 404s are retried
        got = front.request("GET", "/" + file_id)
        assert got.status == 200 and md5_hex(got.body) == md5_hex(contents[name]), name
    # one session, every node: a login through the front works on each node directly
    for node in nodes:
        assert node.call("/api/myfiles?cmd=count", {"user": user, "token": token})["total"] == len(contents)


def test_a_killed_node_or_storage_loses_nothing(cluster: dict) -> None:
    front = cluster["front"]
    user, token = account(front)
    state = json.loads((cluster["stacks"][0] / "stack.json").read_text())
    os.killpg(state["pids"]["gunicorn"], signal.SIGKILL)  # node 0's app dies; its nginx answers 502
    os.killpg(cluster["procs"]["s2a"].pid, signal.SIGKILL)  # and one storage of group2
    cluster["procs"]["s2a"].wait(timeout=10)
    contents = {f"after{i}.bin": os.urandom(30_000 + i) for i in range(6)}
    for name, content in contents.items():
        retried(lambda n=name, c=content: upload(front, user, token, n, c))
    ids = retried(lambda: listing(front, user, token))
    assert sorted(ids) == sorted(contents)  # every upload is there, once
    for name, file_id in ids.items():
        got = front.request("GET", "/" + file_id)
        assert got.status == 200 and md5_hex(got.body) == md5_hex(contents[name]), name
