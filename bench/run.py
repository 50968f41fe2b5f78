"""The benchmark: the production shape on loopback, seeded, measured in one run.

    python bench/run.py                 # writes bench/results/<time>.json and docs/BENCHMARKS.md

It starts nginx + gunicorn with the deploy/ configs (deploy/stack.py) on MariaDB and Redis
(TUCHUANG_BENCH_MYSQL_URL, TUCHUANG_BENCH_REDIS_URL; default the local servers) and a local store,
or FastDFS when TUCHUANG_BENCH_FDFS_TRACKERS names a tracker (and TUCHUANG_BENCH_FDFS_STORE_PATH
the storage's store_path0 on this host, which nginx serves). It measures:
- req/s and p50/p99 latency with wrk (-t2 -c32) for the JSON endpoints in both dialects, each also
  as a ratio to /healthz (a trivial JSON endpoint behind the same nginx + gunicorn), login apart;
- a cheap endpoint's p99 alone and under a flood of logins (argon2id each): target within 2x;
- upload throughput through nginx -> app -> store for 1 MiB, 30 MiB and 1 GiB bodies against
  `dd conv=fsync` of the same bytes on the same disk, and the workers' RSS growth during 1 GiB;
- download throughput of a 100 MiB file from nginx (the store), nginx (a plain static file) and
  the embedded server (`tuchuang serve`).
Everything runs on 127.0.0.1, is bounded in time, and every process it started is stopped by pid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
PWD = "e10adc3949ba59abbe56e057f20f883e"
BOUNDARY = "------WebKitFormBoundary05:?DINSX]bglqv1"
USERS = 16
FILES_PER_USER = 12

_spec = importlib.util.spec_from_file_location("tuchuang_stack", ROOT / "deploy" / "stack.py")
stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stack)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, body: dict | bytes, headers: dict[str, str] | None = None) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read())

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=120) as resp:
            return resp.read()


def envelope_head(user: str, name: str, md5: str, size: int) -> bytes:
    """The Qt client's upload envelope up to the payload (PROTOCOL.md §5.1)."""
    return (
        f"{BOUNDARY}\r\nContent-Disposition: form-data; "
        f'user="{user}" filename="{name}" md5="{md5}" size={size}\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


TAIL = b"\r\n" + BOUNDARY.encode()


def qt_body(user: str, name: str, content: bytes) -> bytes:
    return envelope_head(user, name, hashlib.md5(content).hexdigest(), len(content)) + content + TAIL


# -- seeding ---------------------------------------------------------------------------------------


def seed(web: Http) -> dict[str, Any]:
    """Users with 12 files each, two shared by each, pvs, and picture shares."""
    users = []
    for i in range(USERS):
        user = f"bench{i:02d}"
        assert web.post("/api/reg", {"userName": user, "nickName": user, "firstPwd": PWD})["code"] == 0
        token = web.post("/api/login", {"user": user, "pwd": PWD})["token"]
        files = []
        for j in range(FILES_PER_USER):
            content = f"{user} file {j} ".encode() * 64
            name = f"file{j:02d}.{'png' if j % 3 == 0 else 'txt'}"
            reply = web.post("/api/upload", qt_body(user, name, content), {"Authorization": f"Bearer {token}"})
            assert reply == {"code": 0}, reply
            files.append((hashlib.md5(content).hexdigest(), name))
        for md5, name in files[:2]:
            key = {"user": user, "token": token, "md5": md5, "filename": name}
            assert web.post("/api/dealfile?cmd=share", key)["code"] == 0
            for _ in range(i % 5):
                web.post("/api/dealsharefile?cmd=pv", key)
        md5, name = files[0]
        urlmd5 = web.post("/api/sharepic?cmd=share", {"user": user, "token": token, "md5": md5, "filename": name})[
            "urlmd5"
        ]
        users.append({"user": user, "token": token, "files": files, "urlmd5": urlmd5})
    return {"users": users}


# -- wrk -------------------------------------------------------------------------------------------

LUA = """
local method = "{method}"
local path = "{path}"
local bodies = {{ {bodies} }}
local headers = {{ ["Content-Type"] = "application/json" }}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(method, path, headers, bodies[i])
end
"""


def lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wrk_command(url: str, method: str, path: str, bodies: list[str], load: str, script: Path) -> list[str]:
    """wrk with `load` (its -t -c -d options as one string) over the request bodies in turn."""
    script.write_text(LUA.format(method=method, path=path, bodies=", ".join(lua_string(b) for b in bodies or [""])))
    return ["wrk", *load.split(), "--latency", "-s", str(script), url]


def wrk(url: str, method: str, path: str, bodies: list[str], args: argparse.Namespace, work: Path) -> dict:
    load = f"-t{args.threads} -c{args.connections} -d{args.duration}s"
    cmd = wrk_command(url, method, path, bodies, load, work / "wrk.lua")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        latency[pct] = round(float(m.group(1)) * scale, 3)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": round(rps, 1),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def json_cases(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every measured endpoint: name, dialect, method, path, request bodies, success codes."""
    users = data["users"]

    def bodies(make) -> list[str]:  # noqa: ANN001
        return [json.dumps(make(i, u)) for i, u in enumerate(users)]

    def key(u: dict, md5: str, name: str, name_field: str = "filename") -> dict[str, str]:
        return {"user": u["user"], "token": u["token"], "md5": md5, name_field: name}

    page = bodies(lambda i, u: {"user": u["user"], "token": u["token"], "start": 0, "count": 10})
    ident = bodies(lambda i, u: {"user": u["user"], "token": u["token"]})
    # the md5 of content the next user stored: an instant-upload hit (after the first: 5, "you have it")
    hit = bodies(lambda i, u: key(u, users[(i + 1) % len(users)]["files"][5][0], "hit.txt", "fileName"))
    pv = bodies(lambda i, u: key(u, *u["files"][4]))
    square = [json.dumps({"start": 0, "count": 10})]
    browse = bodies(lambda i, u: {"urlmd5": u["urlmd5"]})
    login = bodies(lambda i, u: {"user": u["user"], "pwd": PWD})
    cases = [dict(name="healthz (ceiling)", dialect="-", method="GET", path="/healthz", bodies=[], ok=[None])]
    for dialect, prefix in (("legacy", ""), ("api", "/api")):
        legacy = dialect == "legacy"

        def case(
            name: str, path: str, bodies: list[str], ok: list, method: str = "POST", d=dialect, p=prefix, **extra: Any
        ) -> dict:
            return dict(name=name, dialect=d, method=method, path=p + path, bodies=bodies, ok=ok, **extra)

        cases += [
            case("myfiles?cmd=count", "/myfiles?cmd=count", ident, ["110"] if legacy else [0]),
            case("myfiles?cmd=normal", "/myfiles?cmd=normal", page, [0]),
            case("myfiles?cmd=pvdesc", "/myfiles?cmd=pvdesc", page, [0]),
            case("md5 (instant upload hit)", "/md5", hit, ["006", "005"] if legacy else [0, 5]),
            case("dealfile?cmd=pv", "/dealfile?cmd=pv", pv, ["016"] if legacy else [0]),
            case("sharefiles?cmd=count", "/sharefiles?cmd=count", [], [None] if legacy else [0], method="GET"),
            case("sharefiles?cmd=normal", "/sharefiles?cmd=normal", square, [0]),
            case("sharefiles?cmd=pvdesc", "/sharefiles?cmd=pvdesc", square, [0]),
        ]
        if not legacy:
            cases.append(case("sharepic?cmd=browse", "/sharepic?cmd=browse", browse, [0]))
        cases.append(case("login (argon2id)", "/login", login, ["000"] if legacy else [0], login=True))
    return cases


def check_case(base: str, case: dict[str, Any]) -> None:
    """One request per distinct body first: the measured answers must be successes."""
    for body in case["bodies"][:3] or [None]:
        req = urllib.request.Request(
            base + case["path"],
            data=body.encode() if body is not None else None,
            method=case["method"],
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        reply = json.loads(raw)
        code = reply.get("code") if isinstance(reply, dict) else None
        if code not in case["ok"]:
            raise SystemExit(f"{case['dialect']} {case['name']}: unexpected answer {raw[:200]!r}")


def run_json(base: str, data: dict[str, Any], args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """Each endpoint right after its own ceiling run, so a drift of the machine's speed during the
    benchmark does not distort the ratios."""
    cases = json_cases(data)
    ceiling_case, cases = cases[0], cases[1:]
    results = []
    ceilings = []
    for case in cases:
        check_case(base, case)
        ceiling = wrk(base + ceiling_case["path"], "GET", ceiling_case["path"], [], args, work)
        ceilings.append(ceiling["rps"])
        measured = wrk(base + case["path"], case["method"], case["path"], case["bodies"], args, work)
        row = {
            "endpoint": case["name"],
            "dialect": case["dialect"],
            **measured,
            "ceiling_rps": ceiling["rps"],
            "ratio": round(measured["rps"] / ceiling["rps"], 3),
            "login": bool(case.get("login")),
        }
        log(f"{row['dialect']:6} {row['endpoint']:28} {row['rps']:9.1f} req/s  p50 {row['p50_ms']} ms  "
            f"p99 {row['p99_ms']} ms  ceiling {ceiling['rps']:.0f}  x{row['ratio']}")  # fmt: skip
        results.append(row)
    median = statistics.median(ceilings)
    results.insert(
        0,
        {"endpoint": "healthz (ceiling, median)", "dialect": "-", "rps": median, "p50_ms": None, "p99_ms": None,
         "non_2xx": 0, "socket_errors": "", "ceiling_rps": median, "ratio": 1.0, "login": False},
    )  # fmt: skip
    return results


class LoginFlood(threading.Thread):
    """Correct logins at a fixed rate from `connections` keep-alive connections, like many clients
    of a busy site (the review's flood was ~25/s); counts successes and refusals."""

    def __init__(self, base: str, bodies: list[str], rate: float, connections: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.base, self.bodies, self.rate, self.connections, self.seconds = base, bodies, rate, connections, seconds
        self.ok = self.refused = self.errors = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        senders = [threading.Thread(target=self.send, args=(n,), daemon=True) for n in range(self.connections)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(self.seconds + 60)

    def send(self, n: int) -> None:
        import http.client

        port = int(self.base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        interval = self.connections / self.rate
        start = time.monotonic() + n * interval / self.connections
        k = 0
        while True:
            due = start + k * interval
            if due - start > self.seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            body = self.bodies[(n + k) % len(self.bodies)]
            k += 1
            try:
                conn.request("POST", "/api/login", body=body, headers={"Content-Type": "application/json"})
                reply = json.loads(conn.getresponse().read())
                outcome = "ok" if reply.get("code") == 0 else "refused"
            except (OSError, ValueError):
                conn.close()
                outcome = "errors"
            with self.lock:
                setattr(self, outcome, getattr(self, outcome) + 1)
        conn.close()


def run_flood(base: str, data: dict[str, Any], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """A cheap endpoint's latency alone, then under a flood of correct logins (argon2id each):
    the flood may get refusals, the others' p99 must stay within 2x (issue 10, item 12)."""
    users = data["users"]
    count = [json.dumps({"user": u["user"], "token": u["token"]}) for u in users]
    # --flood-control sends malformed passwords, refused before any hashing: the noise floor.
    pwd = "not an md5" if args.flood_control else PWD
    logins = [json.dumps({"user": u["user"], "pwd": pwd}) for u in users]
    path = "/api/myfiles?cmd=count"
    probe = argparse.Namespace(**{**vars(args), "connections": args.probe_connections})
    quiet = wrk(base + path, "POST", path, count, probe, work)
    flood = LoginFlood(base, logins, args.flood_rate, 16, args.duration + 5)
    flood.start()
    time.sleep(3)  # the flood is under way
    loaded = wrk(base + path, "POST", path, count, probe, work)
    flood.join(args.duration + 120)
    ratio = round(loaded["p99_ms"] / max(quiet["p99_ms"], 0.001), 2)
    sent = flood.ok + flood.refused + flood.errors
    log(f"flood: myfiles count p99 {quiet['p99_ms']} ms alone, {loaded['p99_ms']} ms under {args.flood_rate} "
        f"logins/s ({flood.ok} ok, {flood.refused} refused, {flood.errors} errors of {sent}): x{ratio}")  # fmt: skip
    return {
        "endpoint": "api myfiles?cmd=count",
        "probe": f"wrk -t{args.threads} -c{args.probe_connections} -d{args.duration}s",
        "quiet": quiet,
        "under_flood": loaded,
        "flood": {
            "rate": args.flood_rate,
            "control": args.flood_control,
            "ok": flood.ok,
            "refused": flood.refused,
            "errors": flood.errors,
        },
        "p99_ratio": ratio,
    }


# -- uploads ---------------------------------------------------------------------------------------


def gunicorn_workers(state: dict[str, Any]) -> list[int]:
    master = state["pids"]["gunicorn"]
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.baseline = {pid: rss_kib(pid) for pid in pids}
        self.peak = dict(self.baseline)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kib(pid))

    def growth_mib(self) -> float:
        if not self.pids:
            raise SystemExit("no gunicorn worker found to sample")
        return round(max(self.peak[p] - self.baseline[p] for p in self.pids) / 1024, 1)

    def peak_mib(self) -> float:
        return round(max(self.peak.values()) / 1024, 1)


def write_body(path: Path, user: str, name: str, source: Path, size: int, salt: bytes) -> str:
    """The upload body on disk: envelope head, `size` bytes of `source` with a salted start, tail."""
    digest = hashlib.md5()
    with open(source, "rb") as src, open(path, "wb") as out:
        first = salt + src.read(min(size, MIB) - len(salt))
        digest.update(first)
        chunks = [first]
        left = size - len(first)
        while left:
            chunk = src.read(min(8 * MIB, left))
            digest.update(chunk)
            chunks.append(chunk)
            left -= len(chunk)
        md5 = digest.hexdigest()
        out.write(envelope_head(user, name, md5, size))
        for chunk in chunks:
            out.write(chunk)
        out.write(TAIL)
    return md5


def curl_upload(base: str, path: str, body: Path, token: str) -> tuple[float, bytes]:
    cmd = [
        "curl", "-s", "-S", "--max-time", "600", "-o", "-", "-w", "\n%{time_total}",
        "-H", "Content-Type: application/octet-stream", "-H", "Expect:", "-H", f"Authorization: Bearer {token}",
        "-X", "POST", "-T", str(body), base + path,  # -T streams the file; --data-binary would load it whole
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=620).stdout
    reply, _, seconds = out.rpartition(b"\n")
    return float(seconds), reply


def disk_ceiling(source: Path, size: int, work: Path, runs: int) -> float:
    """Median seconds to write `size` bytes to a new file on the same disk, with fsync (dd conv=fsync)."""
    target = work / "ceiling.bin"
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(
            ["dd", f"if={source}", f"of={target}", "bs=1M", f"count={size // MIB}", "conv=fsync", "status=none"],
            check=True,
            timeout=600,
        )
        times.append(time.monotonic() - started)
        target.unlink()
    return statistics.median(times)


def upload_floor(body: Path, floor_url: str, runs: int) -> tuple[float, float]:
    """The least an upload of `body` can take here, in seconds, measured now: nginx taking the body
    into its spool (the same nginx, no app behind it), plus MD5 over it (which the app must check);
    the rest of the work (the store's write and fsync, the database) can overlap with these.
    Returns (spool seconds, md5 seconds), medians of `runs`."""
    spool, md5 = [], []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(
            ["curl", "-s", "-S", "--max-time", "600", "-o", "/dev/null", "-H", "Expect:", "-T", str(body), floor_url],
            check=True,
            timeout=620,
        )
        spool.append(time.monotonic() - started)
        started = time.monotonic()
        digest = hashlib.md5()
        with open(body, "rb") as f:
            while chunk := f.read(8 * MIB):
                digest.update(chunk)
        md5.append(time.monotonic() - started)
    return statistics.median(spool), statistics.median(md5)


def run_uploads(
    base: str, web: Http, state: dict, user: dict, args: argparse.Namespace, work: Path, floor_url: str
) -> list[dict]:
    plan = [(1, args.small_uploads), (30, args.uploads), (args.large_mib, 1)]
    biggest = max(mib for mib, _ in plan) * MIB
    source = work / "random.bin"
    with open(source, "wb") as out:  # random bytes once; every upload salts its first bytes
        left = biggest
        while left:
            out.write(os.urandom(min(8 * MIB, left)))
            left -= min(8 * MIB, left)
    results = []
    for mib, count in plan:
        size = mib * MIB
        times, growth = [], None
        for i in range(count):
            body = work / "upload.body"
            name = f"up-{mib}-{i}.bin"
            md5 = write_body(body, user["user"], name, source, size, f"{time.time_ns()}-{i}".encode())
            sampler = RssSampler(gunicorn_workers(state)) if mib == args.large_mib else None
            if sampler:
                sampler.start()
            seconds, reply = curl_upload(base, "/api/upload", body, user["token"])
            if sampler:
                sampler.stop.set()
                sampler.join()
                growth, peak = sampler.growth_mib(), sampler.peak_mib()
            if json.loads(reply) != {"code": 0}:
                raise SystemExit(f"upload of {mib} MiB failed: {reply[:200]!r}")
            times.append(seconds)
            key = {"user": user["user"], "token": user["token"], "md5": md5, "filename": name}
            web.post("/api/dealfile?cmd=del", key)  # keep the disk clean for the next one
        spool_s, md5_s = upload_floor(body, floor_url, runs=min(count, 5))
        body.unlink()
        ceiling = disk_ceiling(source, size, work, runs=min(count, 5))
        upload_mbs = size / statistics.median(times) / 1e6
        disk_mbs = size / ceiling / 1e6
        row = {
            "size_mib": mib,
            "uploads": count,
            "median_s": round(statistics.median(times), 3),
            "mb_s": round(upload_mbs, 1),
            "disk_mb_s": round(disk_mbs, 1),
            "ratio": round(upload_mbs / disk_mbs, 3),
            "floor_spool_s": round(spool_s, 3),
            "floor_md5_s": round(md5_s, 3),
            "floor_s": round(spool_s + md5_s, 3),
            "x_floor": round(statistics.median(times) / (spool_s + md5_s), 3),
        }
        if growth is not None:
            row["worker_rss_growth_mib"] = growth
            row["worker_rss_peak_mib"] = peak
        log(f"upload {mib:5d} MiB x{count}: {row['mb_s']} MB/s, disk {row['disk_mb_s']} MB/s, x{row['ratio']}, "
            f"{row['x_floor']} x floor ({row['floor_spool_s']} s spool + {row['floor_md5_s']} s md5)"
            + (f", worker RSS +{growth} MiB" if growth is not None else ""))  # fmt: skip
        results.append(row)
    return results


# -- downloads -------------------------------------------------------------------------------------


def curl_speed(url: str, runs: int) -> float:
    speeds = []
    for _ in range(runs):
        out = subprocess.run(
            ["curl", "-s", "-S", "--max-time", "120", "-o", "/dev/null", "-w", "%{speed_download}", url],
            capture_output=True,
            text=True,
            check=True,
            timeout=130,
        ).stdout
        speeds.append(float(out))
    return statistics.median(speeds) / 1e6


def start_embedded(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUCHUANG_")}
    home = work / "embedded"
    home.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuchuang.cli", "serve", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "embedded.log", "wb"),  # noqa: SIM115 - the child owns it
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    stack.wait_ready(base + "/readyz", {"tuchuang serve": proc})
    return proc, base


def run_downloads(base: str, web: Http, user: dict, args: argparse.Namespace, work: Path, static: str) -> dict:
    size = args.download_mib * MIB
    content = work / "random.bin"
    body = work / "download.body"
    write_body(body, user["user"], "download.bin", content, size, b"download")
    _, reply = curl_upload(base, "/api/upload", body, user["token"])
    assert json.loads(reply) == {"code": 0}, reply
    listing = web.post(
        "/api/myfiles?cmd=normal", {"user": user["user"], "token": user["token"], "start": 0, "count": 100}
    )
    url = next(f["url"] for f in listing["files"] if f["file_name"] == "download.bin")
    path = "/" + url.split("/", 3)[3]
    static_file = work / "static" / "plain.bin"
    with open(body, "rb") as src, open(static_file, "wb") as dst:  # the same bytes, as a plain file
        src.seek(body.stat().st_size - size - len(TAIL))
        shutil.copyfileobj(src, dst, 8 * MIB)
    store_runs, static_runs = [], []
    for _ in range(args.download_runs):  # alternated, so both see the same machine
        store_runs.append(curl_speed(base + path, 1))
        static_runs.append(curl_speed(static + "/plain.bin", 1))
    nginx_store, nginx_static = statistics.median(store_runs), statistics.median(static_runs)
    proc, embedded = start_embedded(work)
    try:
        emb = Http(embedded)
        emb.post("/api/reg", {"userName": "bench", "nickName": "bench", "firstPwd": PWD})
        token = emb.post("/api/login", {"user": "bench", "pwd": PWD})["token"]
        body2 = work / "embedded.body"
        write_body(body2, "bench", "download.bin", content, size, b"download")
        _, reply = curl_upload(embedded, "/api/upload", body2, token)
        assert json.loads(reply) == {"code": 0}, reply
        body2.unlink()
        files = emb.post("/api/myfiles?cmd=normal", {"user": "bench", "token": token, "start": 0, "count": 10})["files"]
        emb_path = "/" + files[0]["url"].split("/", 3)[3]
        embedded_speed = curl_speed(embedded + emb_path, args.download_runs)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    body.unlink()
    row = {
        "size_mib": args.download_mib,
        "runs": args.download_runs,
        "nginx_store_mb_s": round(nginx_store, 1),
        "nginx_static_mb_s": round(nginx_static, 1),
        "embedded_mb_s": round(embedded_speed, 1),
        "ratio": round(nginx_store / nginx_static, 3),
    }
    log(f"download {args.download_mib} MiB: nginx store {row['nginx_store_mb_s']} MB/s, static "
        f"{row['nginx_static_mb_s']} MB/s (x{row['ratio']}), embedded {row['embedded_mb_s']} MB/s")  # fmt: skip
    return row


# -- the run ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "nginx": version(["nginx", "-v"]),
        "mariadb": version(["mariadb", "--version"]),
        "redis": version(["redis-server", "--version"]),
        "wrk": version(["wrk", "--version"]),
    }


def stop_on_signal(signum: int, _frame: object) -> None:
    """Unwind through the `finally` that stops the stack; a repeated signal must not cut it short."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("TUCHUANG_BENCH_WORKERS", "2")))
    parser.add_argument("--app-threads", type=int, default=int(os.environ.get("TUCHUANG_BENCH_THREADS", "8")))
    parser.add_argument("--small-uploads", type=int, default=20, help="1 MiB uploads (default 20)")
    parser.add_argument("--uploads", type=int, default=20, help="30 MiB uploads (default 20)")
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--download-mib", type=int, default=100)
    parser.add_argument("--download-runs", type=int, default=9)
    parser.add_argument("--flood-control", action="store_true", help="flood with logins refused unhashed")
    parser.add_argument("--probe-connections", type=int, default=4, help="wrk connections beside the flood")
    parser.add_argument("--flood-rate", type=float, default=50, help="logins/s of the login flood (default 50)")
    parser.add_argument("--only", choices=["json", "flood", "upload", "download"], action="append")
    parser.add_argument("--label", default="", help="a note stored with the results")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    mysql = os.environ.get("TUCHUANG_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
    redis_url = os.environ.get("TUCHUANG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    trackers = os.environ.get("TUCHUANG_BENCH_FDFS_TRACKERS")
    only = set(args.only or ["json", "flood", "upload", "download"])

    for sig in (signal.SIGTERM, signal.SIGHUP):  # stopped from outside: still end what we started
        signal.signal(sig, stop_on_signal)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tuchuang-bench-"))
    work.chmod(0o755)
    (work / "static").mkdir()
    static_port, port, app_port = free_port(), free_port(), free_port()
    extra = work / "static.conf"
    (work / "spool-floor").mkdir()
    extra.write_text(
        f"server {{ listen 127.0.0.1:{static_port}; root {work}/static; sendfile on; tcp_nopush on;\n"
        # The upload floor's first half: nginx taking a body into its spool file, as for an upload,
        # and nothing else (the body is not passed on).
        f"  location = /spool {{ client_max_body_size 2g; client_body_in_file_only clean;\n"
        f"    client_body_temp_path {work}/spool-floor 1 2; proxy_pass_request_body off;\n"
        f'    proxy_set_header Content-Length ""; proxy_pass http://127.0.0.1:{static_port}/spooled; }}\n'
        f"  location = /spooled {{ return 204; }}\n}}\n"
    )
    db_url = f"{mysql.rstrip('/')}/tuchuang_bench_{os.getpid()}"
    prefix = f"tuchuang-bench-{os.getpid()}:"
    up = [
        "up", "--root", str(work / "stack"), "--port", str(port), "--app-port", str(app_port),
        "--database-url", db_url, "--create-database", "--redis-url", redis_url, "--redis-prefix", prefix,
        "--workers", str(args.workers), "--threads", str(args.app_threads), "--extra-conf", str(extra),
        "--rate-limits", "relaxed",
    ]  # fmt: skip
    if trackers:
        store_path = os.environ.get("TUCHUANG_BENCH_FDFS_STORE_PATH")
        if not store_path:
            raise SystemExit("TUCHUANG_BENCH_FDFS_TRACKERS needs TUCHUANG_BENCH_FDFS_STORE_PATH (store_path0)")
        up += ["--fdfs-trackers", trackers, "--store-path", store_path]
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "machine": machine(),
        "settings": {
            "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
            "gunicorn": f"{args.workers} workers x {args.app_threads} threads (gthread)",
            "blob_store": "fastdfs" if trackers else "local",
        },
    }
    try:
        log(f"starting nginx + gunicorn in {work}")
        if stack.main(up) != 0:
            raise SystemExit("the stack did not start")
        state = json.loads((work / "stack" / "stack.json").read_text())
        base = state["url"]
        web = Http(base)
        log("seeding")
        data = seed(web)
        if "json" in only:
            results["json"] = run_json(base, data, args, work)
        if "flood" in only:
            results["flood"] = run_flood(base, data, args, work)
        if "upload" in only:
            floor_url = f"http://127.0.0.1:{static_port}/spool"
            results["upload"] = run_uploads(base, web, state, data["users"][0], args, work, floor_url)
        if "download" in only:
            if not (work / "random.bin").exists():
                with open(work / "random.bin", "wb") as out:
                    out.write(os.urandom(args.download_mib * MIB))
            results["download"] = run_downloads(
                base, web, data["users"][1], args, work, f"http://127.0.0.1:{static_port}"
            )
    finally:
        stack.main(["down", "--root", str(work / "stack")])
        cleanup(db_url, redis_url, prefix)
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = out_dir / f"{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results in {out.relative_to(ROOT)} ({results['seconds']} s)")
    if not args.no_docs:
        from report import render  # bench/report.py

        render(out)
    return 0


def cleanup(db_url: str, redis_url: str, prefix: str) -> None:
    try:
        import pymysql
        import redis

        from tuchuang.db.mysql import connect_args

        conn_args = connect_args(db_url)
        name = conn_args.pop("database")
        conn = pymysql.connect(**conn_args)
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the run's own error
        log(f"cleanup: {exc}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
