"""Outages and failures of each component: every request gets its failure code (HTTP 200) within a
bounded time, nothing is half-written, and service resumes by itself when the component returns.

MariaDB and Redis go away through a cuttable TCP proxy in front of the real servers; mid-
transaction failures come from a faulty store adapter; FastDFS failures from the fake server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.client import CODES, PWD, Client, Dialect, md5_hex
from tests.conftest import FAST_HASHER, clean_mysql, clean_redis
from tests.contract.conftest import fastdfs_store
from tests.fakes.fastdfs_server import FakeFastDFS
from tests.fakes.tcp_proxy import CuttableProxy
from tuchuang.app import build_services, create_app
from tuchuang.config import Config
from tuchuang.db import open_store
from tuchuang.errors import DatabaseUnavailable, StorageUnavailable
from tuchuang.services.consistency import Fsck

API, LEGACY = Dialect("api"), Dialect("legacy")
BOUND = 12.0  # seconds any single request may take while a component is down


def via(url: str, proxy: CuttableProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@contextmanager
def proxied_world(mysql_url: str, redis_url: str, tmp_path) -> Iterator[tuple]:  # noqa: ANN001
    db = urlsplit(mysql_url)
    rd = urlsplit(redis_url)
    db_proxy = CuttableProxy((db.hostname, db.port or 3306))
    redis_proxy = CuttableProxy((rd.hostname, rd.port or 6379))
    prefix = f"tuchuang-faults:{uuid.uuid4().hex[:8]}:"
    clean_mysql(mysql_url)
    config = Config(
        data_dir=tmp_path / "data",
        database_url=via(mysql_url, db_proxy) + "?connect_timeout=2&read_timeout=5&write_timeout=5",
        redis_url=via(redis_url, redis_proxy),
        redis_prefix=prefix,
        session_cache_seconds=0,  # every request asks the session store: the outage is seen at once
    )
    services = build_services(config, hasher=FAST_HASHER)
    try:
        yield services, Client(create_app(config, services)), db_proxy, redis_proxy
    finally:
        services.store.close()
        db_proxy.close()
        redis_proxy.close()
        clean_redis(redis_url, prefix)


def timed(call):  # noqa: ANN001, ANN201
    started = time.monotonic()
    reply = call()
    assert time.monotonic() - started < BOUND
    return reply


def every_endpoint(client: Client, d: Dialect, user: str, token: str, data: bytes) -> dict[str, object]:
    """One call of each endpoint; returns the replies by name."""
    key = {"user": user, "token": token, "md5": md5_hex(data), "filename": "f.bin", "fileName": "f.bin"}
    page = {"user": user, "token": token, "start": 0, "count": 10}
    calls = {
        "reg": lambda: client.call(
            d, "/reg", {"userName": "n" + uuid.uuid4().hex[:8], "nickName": "x", "firstPwd": "0" * 32}
        ),
        "login": lambda: client.call(d, "/login", {"user": user, "pwd": "e10adc3949ba59abbe56e057f20f883e"}),
        "md5": lambda: client.call(d, "/md5", key),
        "upload": lambda: client.upload(d, user, "new.bin", data + b"new", token=token),
        "count": lambda: client.call(d, "/myfiles?cmd=count", page),
        "list": lambda: client.call(d, "/myfiles?cmd=normal", page),
        "del": lambda: client.call(d, "/dealfile?cmd=del", key),
        "square": lambda: client.call(d, "/sharefiles?cmd=normal", page),
        "save": lambda: client.call(d, "/dealsharefile?cmd=save", key),
    }
    return {name: timed(call) for name, call in calls.items()}


def is_failure(name: str, reply: object, d: Dialect) -> bool:
    """Whether `reply` is one of the endpoint's failure answers (never success)."""
    ok = {
        "reg": CODES["reg.ok"], "login": CODES["login.ok"], "md5": CODES["md5.ok"], "upload": CODES["upload.ok"],
        "del": CODES["del.ok"], "save": CODES["save.ok"],
    }  # fmt: skip
    code = reply["code"] if isinstance(reply, dict) else None
    if name in ok:
        return code != ok[name][1 if d.name == "api" else 0]
    if name == "count":
        return reply.get("total", 0) == 0 and code in (1, "111")
    return code in (1, "015", "111")


@pytest.mark.parametrize("d", [API, LEGACY], ids=["api", "legacy"])
def test_database_outage(mysql_url, redis_url, tmp_path, d: Dialect) -> None:
    with proxied_world(mysql_url, redis_url, tmp_path) as (services, client, db_proxy, _):
        token = client.user(d, "alice")
        kept = b"stored before the outage" * 100
        assert client.upload(d, "alice", "f.bin", kept, token=token)["code"] == d.code("upload.ok")
        blobs_before = set(services.blobs.file_ids())

        db_proxy.cut()
        replies = every_endpoint(client, d, "alice", token, kept)
        wrong = {name: reply for name, reply in replies.items() if not is_failure(name, reply, d)}
        assert not wrong, wrong
        assert client.web.get("/readyz", expect_errors=True).status_int == 503

        db_proxy.restore()  # service resumes by itself: no restart, same app
        token = client.login(d, "alice")
        files = client.files(d, "alice", token)["files"]
        assert [f["file_name"] for f in files] == ["f.bin"]  # nothing lost, nothing half-written
        assert set(services.blobs.file_ids()) == blobs_before  # the failed upload left no blob
        assert client.upload(d, "alice", "g.bin", b"after the outage", token=token)["code"] == d.code("upload.ok")
        assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent


def test_a_database_restart_fails_no_request(mysql_url, redis_url, tmp_path) -> None:
    """Issue 16 item 7: the server closing every pooled connection (a restart does that; here the
    server kills them) costs no request: each is replaced on checkout, not handed out dead."""
    import pymysql

    from tuchuang.db.mysql import connect_args

    with proxied_world(mysql_url, redis_url, tmp_path) as (services, client, _db, _redis):
        client.user(API, "alice")
        for _ in range(8):  # fill the pool with connections that were in use a moment ago
            assert client.login(API, "alice")
        args = connect_args(mysql_url)
        admin = pymysql.connect(**args)
        with admin.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            own = cur.fetchone()[0]
            cur.execute("SELECT id FROM information_schema.PROCESSLIST WHERE db = %s", (args["database"],))
            victims = [row[0] for row in cur.fetchall() if row[0] != own]
            assert victims
            for victim in victims:
                cur.execute(f"KILL CONNECTION {int(victim)}")
        admin.close()
        time.sleep(0.2)  # the FINs arrive
        codes = [client.call(API, "/login", {"user": "alice", "pwd": PWD})["code"] for _ in range(20)]
        assert codes == [0] * 20


def test_redis_outage(mysql_url, redis_url, tmp_path) -> None:
    d = API
    with proxied_world(mysql_url, redis_url, tmp_path) as (services, client, _, redis_proxy):
        token = client.user(d, "bob")
        data = b"shared before the outage"
        client.upload(d, "bob", "s.bin", data, token=token)
        assert client.dealfile(d, "share", "bob", token, md5_hex(data), "s.bin") == {"code": 0}

        redis_proxy.cut()
        assert timed(lambda: client.call(d, "/login", {"user": "bob", "pwd": "e10adc3949ba59abbe56e057f20f883e"})) == {
            "code": 1
        }
        assert timed(lambda: client.files(d, "bob", token)) == {"code": 1}  # sessions unreadable: refused
        # The ranking cache is only a cache: the ranking still comes, from SQL.
        ranking = timed(lambda: client.call(d, "/sharefiles?cmd=pvdesc", {"start": 0, "count": 10}))
        assert ranking["code"] == 0 and [f["filename"] for f in ranking["files"]] == ["s.bin"]
        pv = {"user": "bob", "token": token, "md5": md5_hex(data), "filename": "s.bin"}
        assert timed(lambda: client.call(d, "/dealsharefile?cmd=pv", pv)) == {"code": 1}  # no session check: refused

        redis_proxy.restore()
        assert client.files(d, "bob", token)["code"] == 0  # the old session is back
        assert client.call(d, "/dealsharefile?cmd=pv", pv) == {"code": 0}
        ranking = client.call(d, "/sharefiles?cmd=pvdesc", {"start": 0, "count": 10})
        assert ranking["files"][0]["pv"] == 1
        assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent


class FailingTx:
    """A transaction whose chosen statement fails as if the connection dropped mid-transaction."""

    def __init__(self, tx, fail_on: str) -> None:  # noqa: ANN001
        self._tx = tx
        self._fail_on = fail_on

    def __getattr__(self, name: str):  # noqa: ANN204
        if name == self._fail_on:

            def fail(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                raise DatabaseUnavailable(f"injected failure in {name}")

            return fail
        return getattr(self._tx, name)


class FailingStore:
    def __init__(self, store, fail_on: str | None = None) -> None:  # noqa: ANN001
        self._store = store
        self.fail_on = fail_on

    @contextmanager
    def transaction(self):  # noqa: ANN201
        with self._store.transaction() as tx:
            yield FailingTx(tx, self.fail_on) if self.fail_on else tx

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._store, name)


@pytest.mark.parametrize(
    ("fail_on", "action"),
    [
        ("insert_user_file", "upload-new"),  # after the blob was written
        ("add_to_file_count", "upload-known"),  # adding a reference to stored content
        ("delete_unreferenced_file", "delete-last"),  # after the reference row was deleted
        ("delete_share", "delete-shared"),
    ],
)
def test_failure_mid_transaction_rolls_back(config, fail_on: str, action: str) -> None:
    store = open_store(config.effective_database_url)
    faulty = FailingStore(store)
    services = build_services(config, hasher=FAST_HASHER, store=faulty)
    client = Client(create_app(config, services))
    d = API
    token = client.user(d, "carol")
    known = b"already stored content"
    assert client.upload(d, "carol", "known.bin", known, token=token) == {"code": 0}
    assert client.dealfile(d, "share", "carol", token, md5_hex(known), "known.bin") == {"code": 0}
    before_files = client.files(d, "carol", token)["files"]
    before_blobs = set(services.blobs.file_ids())

    faulty.fail_on = fail_on
    if action == "upload-new":
        reply = client.upload(d, "carol", "new.bin", b"brand new bytes", token=token)
    elif action == "upload-known":
        reply = client.upload(d, "carol", "again.bin", known, token=token)
    else:
        reply = client.dealfile(d, "del", "carol", token, md5_hex(known), "known.bin")
    assert reply == {"code": 1}
    faulty.fail_on = None

    assert client.files(d, "carol", token)["files"] == before_files  # all or nothing
    assert set(services.blobs.file_ids()) == before_blobs  # no blob without a row, none lost
    assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent
    assert client.dealfile(d, "del", "carol", token, md5_hex(known), "known.bin") == {"code": 0}  # resumes
    assert set(services.blobs.file_ids()) == set()
    services.store.close()


@pytest.fixture
def fdfs_world(config, tmp_path):  # noqa: ANN001, ANN201
    server = FakeFastDFS(tmp_path / "fdfs")
    blobs = fastdfs_store(server.tracker, timeout=1.0, store_path=server.root)
    services = build_services(config, hasher=FAST_HASHER, blobs=blobs)
    yield services, Client(create_app(config, services)), server
    services.store.close()
    blobs.client.close()
    server.close()


def test_blob_store_fails_after_writing(fdfs_world) -> None:
    services, client, server = fdfs_world
    token = client.user(API, "dave")
    server.faults.close_mid_upload_reply = True  # the storage wrote the file; we never hear its id
    assert timed(lambda: client.upload(API, "dave", "lost.bin", b"written but not confirmed", token=token)) == {
        "code": 1
    }
    server.faults.close_mid_upload_reply = False
    assert client.files(API, "dave", token)["files"] == []  # no row for an unconfirmed blob
    report = Fsck(
        services.store, services.blobs, services.files.ranking, reads=services.files.reads, grace_seconds=0
    ).run(repair=True)
    # The storage never named the file: fsck reports the unfinished upload and the unknown file,
    # and deletes only its own record; a file it cannot prove it wrote is never deleted.
    assert sorted((f.kind, f.repaired) for f in report.findings) == [
        ("unfinished-upload", True),
        ("unknown-blob", False),
    ]
    assert len(list(services.blobs.file_ids())) == 1
    assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent
    assert client.upload(API, "dave", "ok.bin", b"after", token=token) == {"code": 0}  # resumes


def test_blob_store_fails_on_delete(fdfs_world) -> None:
    services, client, server = fdfs_world
    token = client.user(API, "erin")
    data = b"to be deleted while the storage is down"
    assert client.upload(API, "erin", "d.bin", data, token=token) == {"code": 0}
    server.stop_storage()
    assert timed(lambda: client.dealfile(API, "del", "erin", token, md5_hex(data), "d.bin")) == {"code": 0}
    assert client.files(API, "erin", token)["files"] == []  # the database is the truth
    with pytest.raises(StorageUnavailable):  # fsck cannot check a store it cannot reach (exit 3)
        Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run()
    server.start_storage()
    report = Fsck(
        services.store, services.blobs, services.files.ranking, reads=services.files.reads, grace_seconds=0
    ).run(repair=True)
    assert [(f.kind, f.repaired) for f in report.findings] == [("orphan-blob", True)]  # left for fsck (D5)
    assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent


def test_blob_store_unreachable(fdfs_world) -> None:
    services, client, server = fdfs_world
    token = client.user(API, "finn")
    data = b"kept"
    assert client.upload(API, "finn", "k.bin", data, token=token) == {"code": 0}
    server.stop_storage()
    assert timed(lambda: client.upload(API, "finn", "n.bin", b"new while down", token=token)) == {"code": 1}
    # instant upload needs no storage: it only adds a reference
    key = {"user": "finn", "token": token, "md5": md5_hex(data), "filename": "k2.bin"}
    assert timed(lambda: client.call(API, "/md5", key)) == {"code": 0}
    assert sorted(f["file_name"] for f in client.files(API, "finn", token)["files"]) == ["k.bin", "k2.bin"]
    server.start_storage()
    assert client.upload(API, "finn", "n.bin", b"new while down", token=token) == {"code": 0}  # resumes
    assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent
