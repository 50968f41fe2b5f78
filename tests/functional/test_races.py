"""Many threads (on MySQL: many pooled connections) race on the same content and the same
(user, md5, file name): upload, instant upload, save from the square and delete. Afterwards the
reference counts, rows and blobs agree, and everything listed downloads byte-exact (D5)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from tests.client import Client, Dialect, md5_hex
from tests.conftest import FAST_HASHER
from tuchuang.app import build_services, create_app

API = Dialect("api")
USERS = ("ann", "ben", "cat", "dan")
CONTENTS = {tag: (f"race content {tag} ".encode() * 300) for tag in ("X", "Y")}
NAMES = ("same.bin", "other.bin")
THREADS = 8
OPS_PER_THREAD = 30


@pytest.fixture
def world(config):  # noqa: ANN001, ANN201
    # every racing client comes from one address: let each of them upload at once
    config = config.replace(db_pool_size=THREADS, uploads_per_addr=THREADS)
    services = build_services(config, hasher=FAST_HASHER)
    app = create_app(config, services)
    yield services, app
    services.store.close()


def invariants(services, app, users: tuple[str, ...] = USERS) -> None:  # noqa: ANN001
    with services.store.read() as tx:
        files = tx.fsck_files()
        refs = tx.fsck_references()
    md5s = [md5 for md5, _, _ in files]
    assert len(md5s) == len(set(md5s))  # one content row per md5
    assert {md5: count for md5, _, count in files} == refs  # counts equal the referencing rows, none at 0
    referenced = {file_id for _, file_id, _ in files}
    assert set(services.blobs.file_ids()) == referenced  # a blob exists iff a row references it
    client = Client(app)
    for user in users:
        token = client.login(API, user)
        for item in client.files(API, user, token, count=100)["files"]:
            body = client.web.get("/" + item["url"].split("/", 3)[3]).body
            assert md5_hex(body) == item["md5"] and len(body) == item["size"]


def test_racing_uploads_saves_and_deletes(world) -> None:
    services, app = world
    setup = Client(app)
    tokens = {user: setup.user(API, user) for user in USERS}
    # ann shares Y so others can save it from the square while it is being deleted and re-uploaded
    assert setup.upload(API, "ann", "shared.bin", CONTENTS["Y"], token=tokens["ann"]) == {"code": 0}
    assert setup.dealfile(API, "share", "ann", tokens["ann"], md5_hex(CONTENTS["Y"]), "shared.bin") == {"code": 0}

    codes: Counter[tuple[str, int]] = Counter()
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(app)
        try:
            barrier.wait(timeout=30)
            for _ in range(OPS_PER_THREAD):
                user = rng.choice(USERS)
                token = tokens[user]
                tag = rng.choice("XY")
                data, name = CONTENTS[tag], rng.choice(NAMES)
                op = rng.choice(("upload", "instant", "delete", "delete", "save"))
                if op == "upload":
                    reply = client.upload(API, user, name, data, token=token)
                elif op == "instant":
                    body = {"user": user, "token": token, "md5": md5_hex(data), "filename": name}
                    reply = client.call(API, "/md5", body)
                elif op == "delete":
                    reply = client.dealfile(API, "del", user, token, md5_hex(data), name)
                else:
                    body = {"user": user, "token": token, "md5": md5_hex(CONTENTS["Y"]), "filename": "shared.bin"}
                    reply = client.call(API, "/dealsharefile?cmd=save", body)
                codes[(op, reply["code"])] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a racing request hung"
    assert not errors, errors
    assert sum(codes.values()) == THREADS * OPS_PER_THREAD
    assert codes[("upload", 0)] > 0 and codes[("delete", 0)] > 0  # the race really happened
    invariants(services, app)

    # Clean up through the API only: every reference removed takes the blobs with it.
    client = Client(app)
    for user in USERS:
        for item in client.files(API, user, tokens[user], count=100)["files"]:
            assert client.dealfile(API, "del", user, tokens[user], item["md5"], item["file_name"]) == {"code": 0}
    assert list(services.blobs.file_ids()) == []
    invariants(services, app)


def test_same_key_at_once(world) -> None:
    """Every thread uploads the same new content under the same (user, name) at the same moment,
    then every thread deletes it at the same moment."""
    services, app = world
    token = Client(app).user(API, "zed")
    data = b"brand new content " * 5000
    barrier = threading.Barrier(THREADS)
    replies: list[dict] = []

    def run(action) -> None:  # noqa: ANN001
        client = Client(app)
        barrier.wait(timeout=30)
        replies.append(action(client))

    def race(action) -> list[dict]:  # noqa: ANN001
        replies.clear()
        threads = [threading.Thread(target=run, args=(action,)) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads)
        return list(replies)

    uploads = race(lambda c: c.upload(API, "zed", "z.bin", data, token=token))
    assert len(uploads) == THREADS and all(r == {"code": 0} for r in uploads)
    with services.store.read() as tx:
        assert tx.fsck_references() == {md5_hex(data): 1}
        assert [count for _, _, count in tx.fsck_files()] == [1]
    assert len(list(services.blobs.file_ids())) == 1  # the losers removed their own blobs
    invariants(services, app, ("zed",))

    deletes = race(lambda c: c.dealfile(API, "del", "zed", token, md5_hex(data), "z.bin"))
    assert sorted(r["code"] for r in deletes) == [0] + [1] * (THREADS - 1)  # exactly one delete wins
    assert list(services.blobs.file_ids()) == []
    invariants(services, app, ("zed",))
