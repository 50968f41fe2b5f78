"""`tuchuang fsck` on a store corrupted by hand: every defect reported exactly, then repaired."""

from __future__ import annotations

import os
import time

import pytest

from tests.client import Client, Dialect, md5_hex
from tests.conftest import FAST_HASHER
from tuchuang import cli
from tuchuang.app import build_services, create_app
from tuchuang.cache.redis import RedisRankingCache
from tuchuang.services.consistency import Fsck

API = Dialect("api")


def content(tag: str) -> bytes:
    return f"content {tag} ".encode() + os.urandom(2000)


@pytest.fixture
def world(config):  # noqa: ANN001, ANN201
    services = build_services(config, hasher=FAST_HASHER)
    client = Client(create_app(config, services))
    yield services, client
    services.store.close()


def sql(services, statement: str, *params) -> None:  # noqa: ANN001
    with services.store.transaction() as tx:
        tx.execute(statement, *params)


def file_id_of(services, md5: str) -> str:  # noqa: ANN001
    with services.store.read() as tx:
        return tx.file_id_of(md5)


def corrupt(services, client: Client) -> tuple[set[tuple[str, str]], dict[str, bytes]]:  # noqa: ANN001
    """Build a store with one defect of each kind; return the expected findings."""
    alice = client.user(API, "alice")
    bob = client.user(API, "bob")
    carol = client.user(API, "carol")
    files = {tag: content(tag) for tag in "ABCDEFGK"}
    for tag in "ABCDEFK":
        assert client.upload(API, "alice", f"{tag.lower()}.txt", files[tag], token=alice) == {"code": 0}
    md5 = {tag: md5_hex(data) for tag, data in files.items()}
    expected: set[tuple[str, str]] = set()

    sql(services, "UPDATE file_info SET count = 5 WHERE md5 = %s", md5["A"])
    expected.add(("count", md5["A"]))

    body = {"user": "bob", "token": bob, "md5": md5["B"], "filename": "b-copy.txt"}
    assert client.call(API, "/md5", body) == {"code": 0}  # bob holds B too
    services.blobs.delete(file_id_of(services, md5["B"]))
    expected.add(("missing-blob", md5["B"]))

    c_blob = file_id_of(services, md5["C"])
    sql(services, "DELETE FROM file_info WHERE md5 = %s", md5["C"])
    expected |= {("no-content", f"alice/{md5['C']}/c.txt"), ("orphan-blob", c_blob)}

    assert client.dealfile(API, "share", "alice", alice, md5["D"], "d.txt") == {"code": 0}
    sql(services, "DELETE FROM user_file_list WHERE user = %s AND md5 = %s", "alice", md5["D"])
    expected |= {("unreferenced", md5["D"]), ("share-without-file", f"alice/{md5['D']}/d.txt")}

    sql(services, "UPDATE user_file_list SET shared_status = 1 WHERE md5 = %s", md5["E"])
    expected.add(("share-flag", f"alice/{md5['E']}/e.txt"))

    assert client.upload(API, "carol", "g.png", files["G"], token=carol) == {"code": 0}
    reply = client.call(
        API, "/sharepic?cmd=share", {"user": "carol", "token": carol, "md5": md5["G"], "filename": "g.png"}
    )
    sql(services, "DELETE FROM user_info WHERE user_name = %s", "carol")
    expected.add(("picture-share-without-user", reply["urlmd5"]))

    spool = services.blobs.root / "stray"
    spool.write_bytes(b"written, then the server died before the row")
    stray = services.blobs.put(spool, 0, spool.stat().st_size, "bin")
    spool.unlink()
    expected.add(("orphan-blob", stray))

    assert client.dealfile(API, "share", "alice", alice, md5["F"], "f.txt") == {"code": 0}
    cache = services.files.ranking
    if isinstance(cache, RedisRankingCache):
        cache.redis.zincrby(cache.zset, 7, md5["F"] + "f.txt")  # the cache drifts from SQL
        expected.add(("ranking-cache", "FILE_PUBLIC_ZSET"))
    return expected, files


def found(report) -> set[tuple[str, str]]:  # noqa: ANN001
    return {(f.kind, f.subject) for f in report.findings}


def test_reports_exactly_then_repairs(world) -> None:
    services, client = world
    expected, files = corrupt(services, client)
    fsck = Fsck(services.store, services.blobs, services.files.ranking, grace_seconds=3600)

    report = fsck.run(repair=False)
    assert found(report) == expected
    assert not any(f.repaired for f in report.findings)
    assert found(fsck.run(repair=False)) == expected  # reporting changed nothing

    later = Fsck(services.store, services.blobs, services.files.ranking, 3600, clock=lambda: time.time() + 7200)
    repaired = later.run(repair=True)
    assert found(repaired) == expected
    assert all(f.repaired for f in repaired.findings), [f.line() for f in repaired.unresolved]
    again = fsck.run(repair=False)
    assert again.consistent, [f.line() for f in again.findings]

    # Nothing referenced was lost: every listed file still downloads byte-exact.
    for user in ("alice", "bob"):
        token = client.login(API, user)
        for item in client.files(API, user, token)["files"]:
            body = client.web.get("/" + item["url"].split("/", 3)[3]).body
            assert md5_hex(body) == item["md5"]
    token = client.login(API, "alice")
    names = sorted(f["file_name"] for f in client.files(API, "alice", token)["files"])
    assert names == ["a.txt", "e.txt", "f.txt", "k.txt"]  # b (blob lost), c (row lost), d (unreferenced) gone
    # A's count is right again: one delete takes it to 0 and removes the blob.
    a_blob = file_id_of(services, md5_hex(files["A"]))
    assert client.dealfile(API, "del", "alice", token, md5_hex(files["A"]), "a.txt") == {"code": 0}
    assert not services.blobs.exists(a_blob)
    # B was lost for bob too; its md5 now asks for an upload, which restores it.
    bob = client.login(API, "bob")
    assert client.files(API, "bob", bob)["files"] == []
    assert client.call(API, "/md5", {"user": "bob", "token": bob, "md5": md5_hex(files["B"]), "filename": "b"}) == {
        "code": 1
    }


def test_young_orphans_are_left_alone(world) -> None:
    services, client = world
    spool = services.blobs.root / "inflight"
    spool.write_bytes(b"an upload between its blob and its row")
    blob = services.blobs.put(spool, 0, spool.stat().st_size, "jpg")
    report = Fsck(services.store, services.blobs, services.files.ranking, grace_seconds=3600).run(repair=True)
    assert found(report) == {("orphan-blob", blob)}
    assert report.unresolved and "grace" in report.unresolved[0].note
    assert services.blobs.exists(blob)


def test_cli_exit_status(config, tmp_path, monkeypatch, capsys) -> None:
    if config.database_url:  # the CLI is the same on both tiers; its SQLite run is enough here
        pytest.skip("CLI exit codes checked on the SQLite tier")
    for key in [k for k in os.environ if k.startswith("TUCHUANG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TUCHUANG_DATA_DIR", str(config.data_dir))
    services = build_services(config, hasher=FAST_HASHER)
    client = Client(create_app(config, services))
    assert cli.main(["fsck"]) == 0
    expected, _ = corrupt(services, client)
    assert cli.main(["fsck"]) == 2
    out = capsys.readouterr().out
    assert f"{len(expected)} inconsistencies, 0 repaired, {len(expected)} left" in out
    assert cli.main(["fsck", "--repair", "--grace", "0"]) == 1
    assert cli.main(["fsck", "--json"]) == 0
    assert '"consistent": true' in capsys.readouterr().out
    services.store.close()
