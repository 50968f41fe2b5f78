"""MySQL deadlocks (1213) and lock wait timeouts (1205) are retried by the transaction runner.

Both are provoked for real on MariaDB with a second connection; SQLite has neither.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
import pytest

from tests.client import Dialect, md5_hex
from tuchuang.db.mysql import connect_args
from tuchuang.db.retry import transactions
from tuchuang.errors import LockConflict
from tuchuang.services.outcomes import Outcome, Refused

LEGACY = Dialect("legacy")


@pytest.fixture
def mysql_only(config):  # noqa: ANN201
    if not config.database_url:
        pytest.skip("deadlocks are a MySQL matter")
    return config


def raw(config) -> pymysql.connections.Connection:  # noqa: ANN001
    args = connect_args(config.database_url)
    args["autocommit"] = False
    return pymysql.connect(**args)


def wait_for_lock_wait(probe: pymysql.connections.Connection, statement: str, limit: float = 10) -> None:
    """Until a statement starting with `statement` is running (waiting for its lock)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with probe.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE %s", (statement + "%",))
            if cur.fetchone()[0]:
                time.sleep(0.2)  # the statement has reached its lock wait
                return
        time.sleep(0.02)
    raise AssertionError("the service never waited for the lock")


def test_deadlocked_delete_is_retried(mysql_only, services, app, caplog) -> None:  # noqa: ANN001
    """A delete chosen as the deadlock victim runs again and succeeds (was: the fail code)."""
    app.register(LEGACY, "victim")
    token = app.login(LEGACY, "victim")
    content = b"locked content" * 100
    assert app.upload(LEGACY, "victim", "a.txt", content, token)["code"] == "008"
    md5 = md5_hex(content)

    other, probe = raw(mysql_only), raw(mysql_only)
    probe.autocommit(True)
    outcome: list[BaseException | None] = []
    try:
        with other.cursor() as cur:
            # The other transaction does more work, so InnoDB picks the service as the victim.
            for _ in range(30):
                cur.execute(
                    "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, '', 0)", (uuid.uuid4().hex,)
                )
            cur.execute("UPDATE file_info SET count = count WHERE md5 = %s", (md5,))

        def delete() -> None:
            try:
                services.files.delete("victim", md5, "a.txt")
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                outcome.append(exc)

        caplog.set_level(logging.INFO, logger="tuchuang.db.retry")
        worker = threading.Thread(target=delete)
        worker.start()
        wait_for_lock_wait(
            probe, "UPDATE file_info SET count = count + -1"
        )  # the delete holds its user_file_list row and waits for file_info
        with other.cursor() as cur:  # ... and now waits for that row: a deadlock
            cur.execute(
                "UPDATE user_file_list SET pv = pv WHERE user = %s AND md5 = %s AND file_name = %s",
                ("victim", md5, "a.txt"),
            )
        other.rollback()
        worker.join(20)
    finally:
        other.close()
        probe.close()
    assert outcome == [None]
    assert "retried after a lock conflict" in caplog.text and "Deadlock" in caplog.text
    assert app.files(LEGACY, "victim", token)["total"] == 0


def test_lock_wait_timeout_is_retried(mysql_only, services) -> None:  # noqa: ANN001
    """A transaction whose lock wait timed out (1205) runs again once the lock is free."""
    other = raw(mysql_only)
    runs = 0
    try:
        with other.cursor() as cur:
            cur.execute("INSERT INTO blob_intents (token, file_id, created_at) VALUES ('held', '', 0)")
        other.commit()
        with other.cursor() as cur:
            cur.execute("SELECT * FROM blob_intents WHERE token = 'held' FOR UPDATE")
        threading.Timer(1.5, other.commit).start()
        for attempt in transactions(services.store):
            with attempt as tx:
                runs += 1
                tx.execute("SET SESSION innodb_lock_wait_timeout = 1")
                tx.execute("UPDATE blob_intents SET file_id = 'taken' WHERE token = 'held'")
    finally:
        time.sleep(0.1)
        other.close()
    assert runs >= 2
    with services.store.read() as tx:
        assert tx._scalar("SELECT file_id FROM blob_intents WHERE token = 'held'") == "taken"


class ConflictingStore:
    """Every commit meets a lock conflict (what a hot row under heavy contention looks like)."""

    def __init__(self) -> None:
        self.commits = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield None
        self.commits += 1
        raise LockConflict("mysql: (1213, 'Deadlock found')")


def test_retries_are_bounded() -> None:
    store = ConflictingStore()
    with pytest.raises(LockConflict):
        for attempt in transactions(store, tries=3):  # type: ignore[arg-type]
            with attempt:
                pass
    assert store.commits == 3


def test_other_errors_are_not_retried() -> None:
    store = ConflictingStore()
    with pytest.raises(Refused):
        for attempt in transactions(store):  # type: ignore[arg-type]
            with attempt:
                raise Refused(Outcome.FAIL, "no such file")
    assert store.commits == 0
