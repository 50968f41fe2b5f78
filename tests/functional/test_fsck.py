"""`tuchuang fsck` on a store corrupted by hand: every defect reported exactly, then repaired."""

from __future__ import annotations

import os
import time

import pytest

from tests.client import Client, Dialect, md5_hex
from tests.conftest import FAST_HASHER
from tuchuang import cli
from tuchuang.app import build_services, create_app
from tuchuang.blobs.local import LocalBlobStore
from tuchuang.cache.redis import RedisRankingCache
from tuchuang.services.consistency import Fsck, StoreLooksWrong

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
    # Its blob has no intent any more (the upload committed): fsck cannot tell it from a file of
    # another application on a shared FastDFS group, so it only reports it.
    expected |= {("no-content", f"alice/{md5['C']}/c.txt"), ("unknown-blob", c_blob)}

    assert client.dealfile(API, "share", "alice", alice, md5["D"], "d.txt") == {"code": 0}
    sql(services, "DELETE FROM user_file_list WHERE user = %s AND md5 = %s", "alice", md5["D"])
    expected |= {("unreferenced", md5["D"]), ("share-without-file", f"alice/{md5['D']}/d.txt")}

    sql(services, "UPDATE user_file_list SET shared_status = 1 WHERE md5 = %s", md5["E"])
    expected.add(("share-flag", f"alice/{md5['E']}/e.txt"))

    k_blob = file_id_of(services, md5["K"])
    path = services.blobs.local_path(k_blob)
    path.write_bytes(path.read_bytes()[:100])  # a crash mid-write left a short file under a valid id
    expected.add(("damaged-blob", md5["K"]))

    assert client.upload(API, "carol", "g.png", files["G"], token=carol) == {"code": 0}
    reply = client.call(
        API, "/sharepic?cmd=share", {"user": "carol", "token": carol, "md5": md5["G"], "filename": "g.png"}
    )
    sql(services, "DELETE FROM user_info WHERE user_name = %s", "carol")
    expected.add(("picture-share-without-user", reply["urlmd5"]))

    foreign = put_blob(services, b"a file another application keeps in the same FastDFS group")
    expected.add(("unknown-blob", foreign))

    orphan = put_blob(services, b"written under an intent, then the server died before the row")
    sql(services, "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, %s, %s)", "1" * 32, orphan, 0)
    expected.add(("orphan-blob", orphan))

    token = "2" * 32  # killed while writing: the intent has no file id yet, the partial file is in tmp/
    sql(services, "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, NULL, %s)", token, 0)
    (services.blobs.root / "tmp" / f"{token}.part").write_bytes(b"half an upload")
    expected.add(("unfinished-upload", token))
    stale = services.blobs.root / "tmp" / f"{'3' * 32}.part"
    stale.write_bytes(b"a partial write with no intent")
    os.utime(stale, (1000, 1000))
    expected.add(("unfinished-upload", f"tmp/{'3' * 32}.part"))

    assert client.dealfile(API, "share", "alice", alice, md5["F"], "f.txt") == {"code": 0}
    cache = services.files.ranking
    if isinstance(cache, RedisRankingCache):
        cache.redis.zincrby(cache.zset, 7, md5["F"] + "f.txt")  # the cache drifts from SQL
        expected.add(("ranking-cache", "download ranking"))
    return expected, files, {"foreign": foreign, "orphan": orphan, "c": c_blob}


def put_blob(services, data: bytes) -> str:  # noqa: ANN001
    spool = services.blobs.root / "stray"
    spool.write_bytes(data)
    file_id = services.blobs.put(spool, 0, len(data), "bin")
    spool.unlink()
    return file_id


def found(report) -> set[tuple[str, str]]:  # noqa: ANN001
    return {(f.kind, f.subject) for f in report.findings}


NEVER_REPAIRED = {"missing-blob", "damaged-blob", "unknown-blob"}


def test_reports_exactly_then_repairs(world) -> None:
    services, client = world
    expected, files, blobs = corrupt(services, client)
    fsck = Fsck(
        services.store,
        services.blobs,
        services.files.ranking,
        reads=services.files.reads,
        grace_seconds=3600,
        clock=lambda: 10**10,
    )

    report = fsck.run(repair=False)
    assert found(report) == expected
    assert not any(f.repaired for f in report.findings)
    assert found(fsck.run(repair=False)) == expected  # reporting changed nothing

    repaired = fsck.run(repair=True)
    assert found(repaired) == expected
    assert {f.kind for f in repaired.findings if not f.repaired} == NEVER_REPAIRED
    again = fsck.run(repair=False)
    assert {f.kind for f in again.findings} == NEVER_REPAIRED, [f.line() for f in again.findings]

    # Only tuchuang's own unfinished blob went; files it did not write stay, whatever their age.
    assert not services.blobs.exists(blobs["orphan"])
    assert services.blobs.exists(blobs["foreign"]) and services.blobs.exists(blobs["c"])
    assert list((services.blobs.root / "tmp").glob("*.part")) == []
    # Rows whose blob is missing or damaged are kept: the store may be restored from a backup.
    token = client.login(API, "alice")
    names = sorted(f["file_name"] for f in client.files(API, "alice", token)["files"])
    assert names == ["a.txt", "b.txt", "e.txt", "f.txt", "k.txt"]  # c (row lost), d (unreferenced) gone
    bob = client.login(API, "bob")
    assert [f["file_name"] for f in client.files(API, "bob", bob)["files"]] == ["b-copy.txt"]
    for item in client.files(API, "alice", token)["files"]:
        if item["md5"] in (md5_hex(files["A"]), md5_hex(files["E"]), md5_hex(files["F"])):
            assert md5_hex(client.web.get("/" + item["url"].split("/", 3)[3]).body) == item["md5"]
    # A's count is right again: one delete takes it to 0 and removes the blob.
    a_blob = file_id_of(services, md5_hex(files["A"]))
    assert client.dealfile(API, "del", "alice", token, md5_hex(files["A"]), "a.txt") == {"code": 0}
    assert not services.blobs.exists(a_blob)


def test_unmounted_store_stops_before_any_repair(world, tmp_path) -> None:
    """An empty store path (an unmounted volume) must never cost a user row."""
    services, client = world
    token = client.user(API, "dora")
    for i in range(4):
        assert client.upload(API, "dora", f"{i}.txt", content(str(i)), token=token) == {"code": 0}
    sql(services, "UPDATE file_info SET count = 9")  # something repairable, to show nothing ran
    empty = LocalBlobStore(tmp_path / "not-mounted")
    fsck = Fsck(services.store, empty, services.files.ranking, grace_seconds=0)
    with pytest.raises(StoreLooksWrong, match="4 of 4 stored files are missing"):
        fsck.run(repair=True)
    with services.store.read() as tx:
        assert [c for _, _, c in tx.fsck_files()] == [9, 9, 9, 9]
    assert len(client.files(API, "dora", token)["files"]) == 4


def test_forget_missing_is_explicit_bounded_and_confirmed(world) -> None:
    services, client = world
    token = client.user(API, "erin")
    data = [content(str(i)) for i in range(5)]
    for i, item in enumerate(data):
        assert client.upload(API, "erin", f"{i}.txt", item, token=token) == {"code": 0}
    lost = file_id_of(services, md5_hex(data[0]))
    services.blobs.delete(lost)
    fsck = Fsck(services.store, services.blobs, services.files.ranking, reads=services.files.reads)
    assert fsck.run(repair=True).unresolved[0].kind == "missing-blob"
    assert len(client.files(API, "erin", token)["files"]) == 5  # --repair keeps the row
    total, missing = fsck.missing_content()
    assert (total, missing) == (5, [(md5_hex(data[0]), lost)])
    assert fsck.forget_missing(missing) == 1
    assert sorted(f["file_name"] for f in client.files(API, "erin", token)["files"]) == [
        f"{i}.txt" for i in (1, 2, 3, 4)
    ]
    assert fsck.run().consistent


def test_young_orphans_are_left_alone_and_do_not_fail_the_check(world) -> None:
    services, client = world
    blob = put_blob(services, b"an upload between its blob and its row")
    sql(services, "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, %s, %s)", "4" * 32, blob, 1000)
    report = Fsck(
        services.store,
        services.blobs,
        services.files.ranking,
        reads=services.files.reads,
        grace_seconds=3600,
        clock=lambda: 1010,
    ).run(repair=True)
    assert found(report) == {("orphan-blob", blob)}
    assert report.consistent and report.findings[0].in_grace and not report.unresolved
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
    expected, _, _ = corrupt(services, client)
    capsys.readouterr()
    assert cli.main(["fsck"]) == 2
    out, err = capsys.readouterr()
    problems = len([e for e in expected if e[0] != "unknown-blob"])
    assert f"{problems} inconsistencies, 0 repaired, {problems} left; 0 in their grace period, 2 notices" in out
    for kind, subject in expected:  # each finding once, on stdout only
        assert (out + err).count(f"{kind}: {subject}") == 1, (kind, subject)
    for internal in ("(D5)", "D7:", "DECISIONS", "PROTOCOL.md", "FILE_PUBLIC_ZSET"):
        assert internal not in out + err
    assert "missing-blob: a content row whose file is not in the blob store" in out
    assert cli.main(["fsck", "--repair", "--grace", "0"]) == 2  # missing and damaged blobs stay
    # --forget-missing: refused above the bound, refused without confirmation, then done.
    assert cli.main(["fsck", "--forget-missing"]) == 3
    assert "more than 5% of stored files are missing" in capsys.readouterr().err
    assert cli.main(["fsck", "--forget-missing", "--max-missing-percent", "50"]) == 3
    assert "refusing without confirmation" in capsys.readouterr().err
    assert cli.main(["fsck", "--forget-missing", "--max-missing-percent", "50", "--yes"]) == 1
    capsys.readouterr()
    assert cli.main(["fsck", "--json"]) == 2  # the damaged blob is still reported
    assert '"kind": "damaged-blob"' in capsys.readouterr().out
    # An empty store path (an unmounted volume): stop, say so, change nothing.
    monkeypatch.setenv("TUCHUANG_STORE_PATH", str(tmp_path / "empty"))
    with services.store.read() as tx:
        before = tx.fsck_files()
    assert cli.main(["fsck", "--repair"]) == 3
    assert "is the store volume mounted" in capsys.readouterr().err
    with services.store.read() as tx:
        assert tx.fsck_files() == before
    services.store.close()


def test_cli_exit_zero_with_only_in_grace_items(config, monkeypatch, capsys) -> None:
    if config.database_url:
        pytest.skip("CLI exit codes checked on the SQLite tier")
    for key in [k for k in os.environ if k.startswith("TUCHUANG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TUCHUANG_DATA_DIR", str(config.data_dir))
    services = build_services(config, hasher=FAST_HASHER)
    spool = config.effective_spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    (spool / "upload-inflight.body").write_bytes(b"a request in flight")
    sql(
        services,
        "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, NULL, %s)",
        "5" * 32,
        int(time.time()),
    )
    assert cli.main(["fsck"]) == 0
    assert "0 inconsistencies, 0 repaired, 0 left; 2 in their grace period" in capsys.readouterr().out
    services.store.close()
