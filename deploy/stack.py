"""Start or stop the production shape on loopback: Debian's nginx + gunicorn with the deploy/ configs.

    python deploy/stack.py up --root /tmp/tc --database-url mysql://root@127.0.0.1:3306/tc_e2e \
        --create-database --redis-url redis://127.0.0.1:6379/0
    python deploy/stack.py down --root /tmp/tc

Used by `.ci/run` for the end-to-end suite and by the benchmark. nginx gets deploy/nginx/tuchuang.conf
with only its paths and ports rewritten to the root directory; gunicorn gets deploy/gunicorn.conf.py.
Run as root, nginx's workers run as www-data as in a real install, so the store must be readable
by them; gunicorn runs as the invoking user (here the interpreter may live where www-data cannot
read it). `up` prints the environment for tests/e2e and saves the app's settings in <root>/app.env
(`set -a; . <root>/app.env; set +a; tuchuang fsck` checks the stack's data); every process
it starts is recorded in <root>/stack.json and ended by `down`, by pid.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
RUN_AS = "www-data"

MAIN_CONF = """\
{user}
worker_processes {nginx_workers};
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {access_log};
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path {root}/nginx-tmp/body;
    proxy_temp_path {root}/nginx-tmp/proxy;
    fastcgi_temp_path {root}/nginx-tmp/fastcgi;
    uwsgi_temp_path {root}/nginx-tmp/uwsgi;
    scgi_temp_path {root}/nginx-tmp/scgi;
    include {root}/tuchuang.conf;
{extra}}}
"""


# Test clients and the benchmark send everything from 127.0.0.1, far above what one real client
# may; `--rate-limits relaxed` raises the per-address limits for them (nothing else changes).
RELAXED = {
    "rate=100r/s;": "rate=100000r/s;",
    "rate=2r/s;": "rate=100000r/s;",
    "tuchuang_connections 64;": "tuchuang_connections 10000;",
    "tuchuang_uploads 4;": "tuchuang_uploads 10000;",
}


def render_site(
    root: Path, port: int, app_port: int, max_body: str, store: Path | None = None, relaxed: bool = False
) -> str:
    """deploy/nginx/tuchuang.conf with its paths and ports moved (and, relaxed, its rate limits)."""
    text = (DEPLOY / "nginx" / "tuchuang.conf").read_text()
    replacements = {
        **(RELAXED if relaxed else {}),
        "/var/lib/tuchuang/storage/": f"{store or root / 'storage'}/",
        "/var/lib/tuchuang": str(root),
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{app_port};",
        "client_max_body_size 1025m;": f"client_max_body_size {max_body};",
    }
    for old, new in replacements.items():
        if old not in text:
            raise SystemExit(f"deploy/nginx/tuchuang.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def create_database(url: str) -> None:
    import pymysql

    from tuchuang.db.mysql import connect_args

    args = connect_args(url)
    name = args.pop("database")
    conn = pymysql.connect(**args)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()


def wait_ready(url: str, procs: dict[str, subprocess.Popen], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    last = ""
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {limit}s: {last}")


def check_store(store: Path, fastdfs: bool) -> None:
    """Refuse to start on a store path that cannot be the one the blobs are in.

    With FastDFS the app writes through the storage server and nginx serves the files from its
    store_path0 on this host: a wrong path starts fine and then answers 404 for every download.
    """
    if not fastdfs:
        store.mkdir(parents=True, exist_ok=True)
        return
    marker = store / "data" / "00" / "00"
    if not marker.is_dir():
        raise SystemExit(
            f"--store-path {store}: no FastDFS store here ({marker} is missing). Give the storage "
            "server's store_path0 (storage.conf) as it is mounted on this host."
        )


def save_env(path: Path, env: dict[str, str]) -> None:
    """The app's settings as a shell file: `set -a; . app.env; set +a; tuchuang fsck`."""
    lines = [
        f"{key}={shlex.quote(value)}"
        for key, value in sorted(env.items())
        if key.startswith("TUCHUANG_") and not key.startswith(("TUCHUANG_TEST_", "TUCHUANG_E2E_", "TUCHUANG_BENCH_"))
    ]
    path.write_text("# the settings of the app of this stack (deploy/stack.py)\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)  # a database URL may carry a password


def up(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    if (root / "stack.json").exists():
        raise SystemExit(f"{root}/stack.json exists: run `down` first")
    if args.fdfs_trackers and not args.store_path:
        raise SystemExit("--fdfs-trackers needs --store-path: the storage server's store_path0 on this host")
    store = Path(args.store_path).resolve() if args.store_path else root / "storage"
    check_store(store, bool(args.fdfs_trackers))
    for sub in ("nginx-spool", "data", "logs", "nginx-tmp", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    as_root = os.geteuid() == 0
    if as_root:  # nginx's workers write the upload spool
        entry = pwd.getpwnam(RUN_AS)
        os.chown(root / "nginx-spool", entry.pw_uid, entry.pw_gid)

    # nginx serves the web front from the files the operator's command writes (README: The web front)
    subprocess.run(
        [sys.executable, "-m", "tuchuang", "front", str(root / "front")], check=True, stdout=subprocess.DEVNULL
    )
    (root / "tuchuang.conf").write_text(
        render_site(root, args.port, args.app_port, args.max_body, store, args.rate_limits == "relaxed")
    )
    (root / "nginx.conf").write_text(
        MAIN_CONF.format(
            root=root,
            user=f"user {RUN_AS};" if as_root else "",
            nginx_workers=args.nginx_workers,
            access_log=f"{root}/logs/nginx-access.log" if args.access_log else "off",
            extra=f"    include {Path(args.extra_conf).resolve()};\n" if args.extra_conf else "",
        )
    )
    env = {
        **os.environ,
        "TUCHUANG_HOST": "127.0.0.1",
        "TUCHUANG_PORT": str(args.app_port),
        "TUCHUANG_DATA_DIR": str(root / "data"),
        "TUCHUANG_STORE_PATH": str(store),
        "TUCHUANG_SPOOL_DIR": str(root / "spool"),
        "TUCHUANG_PROXY_SPOOL_DIR": str(root / "nginx-spool"),
        "TUCHUANG_TRUSTED_PROXIES": "127.0.0.1",
        "TUCHUANG_WORKERS": str(args.workers),
        "TUCHUANG_THREADS": str(args.threads),
        "TUCHUANG_LOG_LEVEL": args.log_level,
        # Every test client registers from loopback; a real install keeps the default.
        "TUCHUANG_REGISTRATIONS_PER_ADDR": os.environ.get("TUCHUANG_REGISTRATIONS_PER_ADDR", "100000"),
    }
    if args.database_url:
        env["TUCHUANG_DATABASE_URL"] = args.database_url
        if args.create_database:
            create_database(args.database_url)
    if args.redis_url:
        env["TUCHUANG_REDIS_URL"] = args.redis_url
        env["TUCHUANG_REDIS_PREFIX"] = args.redis_prefix
    if args.fdfs_trackers:
        env["TUCHUANG_BLOB_STORE"] = "fastdfs"
        env["TUCHUANG_FDFS_TRACKERS"] = args.fdfs_trackers

    save_env(root / "app.env", env)
    tuchuang = shutil.which("tuchuang", path=os.path.dirname(sys.executable)) or "tuchuang"
    with open(root / "logs" / "db-upgrade.log", "ab") as log:
        subprocess.run([tuchuang, "db", "upgrade"], env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    subprocess.run(["nginx", "-t", "-q", "-c", f"{root}/nginx.conf", "-p", str(root)], check=True)

    logs = root / "logs"
    gunicorn_cmd = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
    procs = {
        "gunicorn": subprocess.Popen(
            gunicorn_cmd,
            env=env,
            cwd=root,
            stdout=open(logs / "gunicorn.log", "ab"),  # noqa: SIM115 - the child owns it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
        "nginx": subprocess.Popen(
            ["nginx", "-c", f"{root}/nginx.conf", "-p", str(root)],
            stdout=open(logs / "nginx.out", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    }
    url = f"http://127.0.0.1:{args.port}"
    state = {
        "root": str(root),
        "pids": {name: proc.pid for name, proc in procs.items()},
        "url": url,
        "app_url": f"http://127.0.0.1:{args.app_port}",
        "proxy_spool_dir": str(root / "nginx-spool"),
        "store_path": str(store),
    }
    (root / "stack.json").write_text(json.dumps(state, indent=2))
    try:
        wait_ready(url + "/readyz", procs)
    except RuntimeError as exc:
        print(f"stack did not start: {exc}", file=sys.stderr)
        for log in sorted(logs.iterdir()):
            print(f"--- {log}\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
        down(args)
        return 1
    print(f"TUCHUANG_E2E_URL={url}")
    print(f"TUCHUANG_E2E_APP_URL={state['app_url']}")
    print(f"TUCHUANG_E2E_PROXY_SPOOL_DIR={state['proxy_spool_dir']}")
    print(f"TUCHUANG_E2E_STORE_PATH={state['store_path']}")
    print(f"TUCHUANG_E2E_FRONT_DIR={root / 'front'}")
    print(f"TUCHUANG_E2E_APP_ENV={root / 'app.env'}")
    return 0


def down(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    state_file = root / "stack.json"
    if not state_file.exists():
        return 0
    pids = json.loads(state_file.read_text())["pids"]
    for pid in pids.values():
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for pid in pids.values():
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
            _alive(pid)
    state_file.unlink()
    return 0


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    """True while `pid` runs; reaps it if it is our exited child."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass  # not our child (started by an earlier `up`)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="start nginx + gunicorn and wait until ready")
    start.add_argument("--root", required=True)
    start.add_argument("--port", type=int, default=18080, help="nginx (default 18080)")
    start.add_argument("--app-port", type=int, default=18081, help="gunicorn (default 18081)")
    start.add_argument("--database-url", help="mysql://… (default: SQLite in the root)")
    start.add_argument("--create-database", action="store_true", help="drop and create that database first")
    start.add_argument("--redis-url")
    start.add_argument("--redis-prefix", default="tuchuang-stack:")
    start.add_argument("--fdfs-trackers", help="host:port,… to store blobs in FastDFS (needs --store-path)")
    start.add_argument(
        "--store-path", help="where the blobs are on this host (default <root>/storage; FastDFS: its store_path0)"
    )
    start.add_argument(
        "--rate-limits",
        choices=["as-shipped", "relaxed"],
        default="as-shipped",
        help="relaxed: for load from one address",
    )
    start.add_argument("--workers", type=int, default=2)
    start.add_argument("--threads", type=int, default=8)
    start.add_argument("--nginx-workers", default="auto")
    start.add_argument("--max-body", default="1025m")
    start.add_argument("--access-log", action="store_true")
    start.add_argument("--log-level", default="WARNING")
    start.add_argument("--extra-conf", help="another nginx file for the http block (the benchmark's static server)")
    stop = sub.add_parser("down", help="stop what `up` started")
    stop.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    return up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    sys.exit(main())
