"""`tuchuang import` of each original layout (on SQLite and on MariaDB), into tuchuang on both tiers:
every defect reported, nothing written into the source, a second run changes nothing, and then the
old users do what they did on the original server, with the Qt client's requests and the /api
dialect's: log in with their old passwords, list, download byte-exact, share, open old links."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from tests.client import Client, Dialect, md5_hex, qt_upload_body
from tests.conftest import FAST_HASHER, MYSQL_URL, _admin
from tests.functional.originals import IDS, LAYOUTS, NOTES, OTHER, PHOTO, build, dataset, pwd, snapshot
from tuchuang.app import create_app
from tuchuang.config import Config
from tuchuang.db.mysql import connect_args
from tuchuang.imports.run import ImportRefused, run_import
from tuchuang.services.consistency import Fsck

API, LEGACY = Dialect("api"), Dialect("legacy")
COMMON = {
    "user-name", "nick-name", "password", "email", "file-without-user", "file-name", "bad-md5", "no-content",
    "no-file-id", "file-id-mismatch", "duplicate-content", "unreferenced-content", "duplicate-file", "count",
    "negative-pv", "share-without-file", "duplicate-share", "share-flag",
}  # fmt: skip
EXPECTED = {
    "legacy-fastcgi": COMMON | {"file-count", "share-count"},
    "api-fastcgi": COMMON | {"file-count", "share-count", "picture-count", "picture-without-user",
                             "picture-file-gone", "duplicate-link", "bad-link"},
    "tc-src": COMMON | {"picture-without-user", "picture-file-gone", "duplicate-link", "bad-link"},
}  # fmt: skip


class SourceDb:
    def __init__(self, url: str, connect: Any, layout: str) -> None:
        self.url, self.connect, self.layout = url, connect, layout

    def snapshot(self) -> dict:
        conn = self.connect()
        try:
            return snapshot(conn, self.layout)
        finally:
            conn.close()


@pytest.fixture(params=[(layout, engine) for layout in LAYOUTS for engine in ("sqlite", "mysql")],
                ids=lambda p: f"{p[0]}-from-{p[1]}")  # fmt: skip
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDb]:
    layout, engine = request.param
    data = dataset(layout)
    if engine == "sqlite":
        path = tmp_path / "original.db"
        conn = sqlite3.connect(path)
        build(conn, "sqlite", layout, data)
        conn.close()
        yield SourceDb(f"sqlite:///{path}", lambda: sqlite3.connect(path), layout)
        return
    if not MYSQL_URL:
        pytest.skip("MySQL tier skipped: TUCHUANG_TEST_MYSQL_URL is not set")
    name = f"tc_original_{uuid.uuid4().hex[:8]}"
    admin = _admin(MYSQL_URL)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8")
    args = {**connect_args(MYSQL_URL), "database": name, "autocommit": False}
    args.pop("conv")
    conn = pymysql.connect(**args)
    build(conn, "mysql", layout, data)
    conn.close()
    url = MYSQL_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield SourceDb(url, lambda: pymysql.connect(**args), layout)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name}")
        admin.close()


def put_blobs(config: Config, layout: str) -> None:
    """The files as FastDFS holds them, at the original ids (the local store has the same layout)."""
    for file_id, content in dataset(layout).blobs.items():
        path = config.effective_store_path / "data" / file_id.split("/M00/", 1)[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def import_(source: SourceDb, config: Config, services: Any, **kw: Any):  # noqa: ANN201
    return run_import(
        source.url, config.effective_database_url, FAST_HASHER.hash, ranking=services.files.ranking,
        progress_stream=None, **kw,
    )  # fmt: skip


def tables(services: Any) -> dict[str, list[tuple]]:
    out = {}
    with services.store.read() as tx:
        for table, order in (("user_info", "user_name"), ("file_info", "md5"), ("user_file_list", "user, md5, file_name"),
                             ("share_file_list", "md5, file_name"), ("share_picture_list", "urlmd5")):  # fmt: skip
            rows = tx._all(f"SELECT * FROM {table} ORDER BY {order}")
            out[table] = [tuple(str(v) for v in row[1:]) for row in rows]  # without the target's own ids
    return out


def test_import_then_the_old_users_carry_on(source: SourceDb, config: Config, services: Any) -> None:
    before = source.snapshot()
    put_blobs(config, source.layout)

    report = import_(source, config, services)
    assert report.layout == source.layout
    assert set(report.defects) == EXPECTED[source.layout], report.lines()
    assert report.imported["users"] == 5  # alice, bob, dave, erin, frank; not "carol x"
    assert report.imported["files"] == 4 and report.imported["contents"] == 3
    assert report.imported["shares"] == 2
    assert source.snapshot() == before  # nothing written into the source

    after_first = tables(services)
    again = import_(source, config, services)  # as after an interruption: the same result, nothing twice
    assert sum(again.imported.values()) == 0 and set(again.defects) == set(report.defects)
    assert tables(services) == after_first
    assert Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads).run().consistent

    app = Client(create_app(config, services))
    old_users_carry_on(app, source.layout)


def old_users_carry_on(app: Client, layout: str) -> None:
    # The Qt client's requests (legacy dialect): log in with the old password, list, download.
    token = app.login(LEGACY, "alice", pwd("alice pw"))
    listing = app.files(LEGACY, "alice", token)
    assert {f["file_name"]: f["pv"] for f in listing["files"]} == {"photo.png": 3, "笔记.txt": 0, "mismatch.jpg": 1}
    count = app.call(LEGACY, "/myfiles?cmd=count", {"user": "alice", "token": token})
    assert int(count["num"]) == 3
    urls = {f["file_name"]: f["url"] for f in listing["files"]}
    for name, content in (("photo.png", PHOTO), ("笔记.txt", NOTES), ("mismatch.jpg", OTHER)):
        path = "/" + urls[name].split("/", 3)[3]
        assert app.web.get(path).body == content, name
    assert urls["mismatch.jpg"].endswith(IDS["other"])
    # instant upload of content the old server stored, then a new upload, then a delete
    body = {"user": "alice", "token": token, "md5": md5_hex(PHOTO), "fileName": "again.png"}
    assert app.call(LEGACY, "/md5", body)["code"] == "006"
    assert app.call(LEGACY, "/upload", qt_upload_body("alice", "new.txt", b"after the move"))["code"] == "008"
    assert app.dealfile(LEGACY, "del", "alice", token, md5_hex(NOTES), "笔记.txt")["code"] == "013"

    # bob's password was stored in capitals: the client sends lowercase, which works now
    assert app.login(API, "bob", pwd("bob pw"))
    assert app.call(API, "/login", {"user": "erin", "pwd": pwd("plaintext")})["code"] == 1
    assert app.call(API, "/login", {"user": "carol x", "pwd": pwd("carol pw")})["code"] == 1

    # The /api dialect: the share square with its exact count and the ranking.
    token = app.login(API, "alice", pwd("alice pw"))
    square = app.call(API, "/sharefiles?cmd=count", {})
    assert square["total"] == 1  # 笔记.txt was deleted above, and its share with it
    ranking = app.call(API, "/sharefiles?cmd=pvdesc", {"start": 0, "count": 10})
    assert [(f["filename"], f["pv"]) for f in ranking["files"]] == [("photo.png", 7)]
    if "share_picture_list" not in LAYOUTS[layout]:
        return
    # The old picture links open the same picture; the one that shared its id got a new one.
    old = app.call(API, "/sharepic?cmd=normal", {"user": "alice", "token": token, "start": 0, "count": 10})
    links = {(p["file_name"], p["urlmd5"]) for p in old["files"]}
    assert ("photo.png", _same_second()) in links
    assert len(links) == 3  # photo.png twice (the malformed id got a new one), mismatch.jpg with a new id
    page = app.web.get(f"/share?urlmd5={_same_second()}")
    assert page.status_int == 200 and "alice" in page.text
    browse = app.call(API, "/sharepic?cmd=browse", {"urlmd5": _same_second()})
    assert browse["code"] == 0 and browse["pv"] == 6  # 4 before the move, one page view, this one
    assert browse["url"].endswith(IDS["photo"])
    # bob's link (tc-src's id of 32 letters) kept its id; its file is gone, as its page says
    gone = app.call(API, "/sharepic?cmd=browse", {"urlmd5": "qwertyuiopasdfghjklzxcvbnmqwerty"})
    assert gone["code"] == 2


def _same_second() -> str:
    from tests.functional.originals import md5

    return md5(b"alice" + b"2023-03-01 09:00:00")


def test_a_dry_run_writes_nothing(source: SourceDb, config: Config, services: Any) -> None:
    before = source.snapshot()
    report = import_(source, config, services, dry_run=True)
    assert report.dry_run and report.imported["users"] == 5
    assert set(report.defects) == EXPECTED[source.layout]
    assert all(rows == [] for rows in tables(services).values())
    assert source.snapshot() == before


def test_missing_blobs_are_reported_and_do_not_fail_the_import(source: SourceDb, config: Config, services: Any) -> None:
    put_blobs(config, source.layout)
    gone = config.effective_store_path / "data" / IDS["other"].split("/M00/", 1)[1]
    gone.unlink()
    report = import_(source, config, services, blobs=services.blobs)
    assert report.checked_blobs == 3
    assert report.defects["missing-blob"] == 1 and IDS["other"] in report.examples["missing-blob"][0]
    assert report.imported["files"] == 4


def test_a_database_with_users_of_its_own_is_refused(source: SourceDb, config: Config, services: Any) -> None:
    app = Client(create_app(config, services))
    app.user(API, "someone")
    with pytest.raises(ImportRefused):
        import_(source, config, services)
    with pytest.raises(ImportRefused):
        import_(source, config, services, dry_run=True)


def test_an_interrupted_import_finishes_with_the_same_result(tmp_path: Path) -> None:
    """Killed half-way (here: the password hashing fails on the second batch's second user),
    then run again: the same rows as an import that was never interrupted, nothing twice."""
    from tests.functional.originals import sqlite_source
    from tuchuang.app import build_services as build

    source = tmp_path / "original.db"
    sqlite_source(str(source), "api-fastcgi")
    url = f"sqlite:///{source}"
    calls = []

    def failing(md5: str) -> str:
        calls.append(md5)
        if len(calls) == 4:
            raise RuntimeError("killed")
        return FAST_HASHER.hash(md5)

    interrupted, clean = Config(data_dir=tmp_path / "a"), Config(data_dir=tmp_path / "b")
    results = []
    for config in (interrupted, clean):
        services = build(config, hasher=FAST_HASHER)
        from tuchuang.db.migrations import upgrade

        upgrade(services.store)
        if config is interrupted:
            with pytest.raises(RuntimeError):
                run_import(url, config.effective_database_url, failing, batch_size=3, progress_stream=None)
            assert tables(services)["user_info"]  # the first batch landed
        report = run_import(url, config.effective_database_url, FAST_HASHER.hash, batch_size=3, progress_stream=None)
        results.append((tables(services), report))
        services.store.close()
    (after_interruption, second), (never_interrupted, _) = results
    for table in ("file_info", "user_file_list", "share_file_list"):
        assert after_interruption[table] == never_interrupted[table], table
    pictures = sorted(row[:3] + row[4:] for row in after_interruption["share_picture_list"])  # new ids differ
    assert pictures == sorted(row[:3] + row[4:] for row in never_interrupted["share_picture_list"])
    users = [row[:2] + row[3:] for row in after_interruption["user_info"]]  # hashes are salted
    assert users == [row[:2] + row[3:] for row in never_interrupted["user_info"]]
    assert second.imported["users"] == 3  # alice and bob (the first batch) were not imported twice


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from tests.functional.originals import sqlite_source
    from tuchuang.cli import main

    source = tmp_path / "original.db"
    sqlite_source(str(source), "legacy-fastcgi")
    monkeypatch.setenv("TUCHUANG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUCHUANG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("TUCHUANG_ARGON2_MEMORY_KIB", "8")
    assert main(["import", "--from", f"sqlite:///{source}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "the legacy FastCGI server" in out and "would import: 5 users" in out and "duplicate-file (1)" in out
    assert main(["import", "--from", f"sqlite:///{source}"]) == 0
    assert "imported: 5 users" in capsys.readouterr().out
    put_blobs(Config(data_dir=tmp_path / "data"), "legacy-fastcgi")
    assert main(["fsck"]) == 0, capsys.readouterr()
    capsys.readouterr()
    (tmp_path / "other.db").write_bytes(b"")
    assert main(["import", "--from", f"sqlite:///{tmp_path / 'other.db'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "tuchuang import: not an original 0voice database: no table user_info, file_info, user_file_list, share_file_list"
    )
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE user_info (id INTEGER, user_name TEXT)")
    for table in ("file_info", "user_file_list", "share_file_list"):
        conn.execute(f"CREATE TABLE {table} (id INTEGER)")
    conn.commit()
    conn.close()
    assert main(["import", "--from", f"sqlite:///{tmp_path / 'other.db'}"]) == 2
    assert "missing user_info.nick_name" in capsys.readouterr().err
