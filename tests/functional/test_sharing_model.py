"""Random sequences of upload, share, cancel, save, pv and delete by several users, checked after
every step against a simple model: square, count, ranking (with and without the Redis cache),
every user's list, reference counts and blobs."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.conftest import clean_mysql, clean_redis
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.services.sharing import Sharing

USERS = ["ann", "bob", "cat"]
CONTENTS = [b"first content", b"second content"]
NAMES = ["a.png", "b b.txt"]


def outcome_of(action) -> Outcome:  # noqa: ANN001
    try:
        action()
    except Refused as exc:
        return exc.outcome
    return Outcome.OK


@pytest.mark.parametrize("steps", [25])
def test_sharing_agrees_with_a_model(config, services, steps, tmp_path):
    store, files, sharing = services.store, services.files, services.sharing
    truth_only = Sharing(store, lambda: 1_700_000_000.0)  # no cache: the ranking straight from SQL
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            if config.database_url:
                clean_mysql(config.database_url)
                clean_redis(config.redis_url, config.redis_prefix)
            else:
                with store.transaction() as tx:
                    for table in ("file_info", "user_file_list", "share_file_list"):
                        tx.execute(f"DELETE FROM {table}")
            for blob in list(services.blobs.file_ids()):
                services.blobs.delete(blob)
            self.files: set[tuple[str, str, str]] = set()
            self.shares: dict[tuple[str, str], list] = {}  # (md5, name) -> [owner, pv]

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def upload(self, user: str, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            with tempfile.NamedTemporaryFile(dir=spool_dir) as f:
                f.write(content)
                f.flush()
                files.store_upload(user, name, md5, len(content), Path(f.name), 0)
            self.files.add((user, md5, name))

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def share(self, user: str, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            got = outcome_of(lambda: sharing.share(user, md5, name))
            if (user, md5, name) not in self.files:
                assert got is Outcome.FAIL
            elif (md5, name) in self.shares:
                assert got is Outcome.ALREADY_SHARED
            else:
                assert got is Outcome.OK
                self.shares[(md5, name)] = [user, 0]

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def upload_and_share(self, user: str, content: bytes, name: str) -> None:
            """Reach crowded squares (ties in the ranking) more often than separate rules would."""
            self.upload(user, content, name)
            self.share(user, content, name)

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def cancel(self, user: str, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            got = outcome_of(lambda: sharing.cancel(user, md5, name))
            if self.shares.get((md5, name), [None])[0] == user:
                assert got is Outcome.OK
                del self.shares[(md5, name)]
            else:
                assert got is Outcome.FAIL

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def save(self, user: str, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            got = outcome_of(lambda: sharing.save(user, md5, name))
            if (md5, name) not in self.shares:
                assert got is Outcome.FAIL
            elif (user, md5, name) in self.files:
                assert got is Outcome.ALREADY_HAVE
            else:
                assert got is Outcome.OK
                self.files.add((user, md5, name))

        @rule(content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def pv(self, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            got = outcome_of(lambda: sharing.add_pv(md5, name))
            assert got is (Outcome.OK if (md5, name) in self.shares else Outcome.FAIL)
            if got is Outcome.OK:
                self.shares[(md5, name)][1] += 1

        @rule(user=st.sampled_from(USERS), content=st.sampled_from(CONTENTS), name=st.sampled_from(NAMES))
        def delete(self, user: str, content: bytes, name: str) -> None:
            md5 = hashlib.md5(content).hexdigest()
            got = outcome_of(lambda: files.delete(user, md5, name))
            assert got is (Outcome.OK if (user, md5, name) in self.files else Outcome.FAIL)
            if got is Outcome.OK:
                self.files.discard((user, md5, name))
                if self.shares.get((md5, name), [None])[0] == user:
                    del self.shares[(md5, name)]

        @invariant()
        def square_count_and_ranking_agree(self) -> None:
            assert sharing.count() == len(self.shares)
            total, rows = sharing.page(0, 100)
            assert total == len(self.shares)
            assert {(r.user, r.md5, r.file_name, r.pv) for r in rows} == {
                (owner, md5, name, pv) for (md5, name), (owner, pv) in self.shares.items()
            }
            # pv descending, ties by member (md5 + name) descending
            expected = sorted(self.shares.items(), key=lambda kv: (kv[1][1], kv[0][0] + kv[0][1]), reverse=True)
            ranking = [(name, pv) for (_, name), (_, pv) in expected]
            assert sharing.ranking(0, 100) == (len(self.shares), ranking)  # through the cache, if any
            assert truth_only.ranking(0, 100) == (len(self.shares), ranking)  # straight from SQL
            assert sharing.ranking(1, 2) == (len(self.shares), ranking[1:3])

        @invariant()
        def lists_counts_and_blobs_agree(self) -> None:
            for user in USERS:
                total, rows = files.page(user, "normal", 0, 100)
                mine = {(u, m, n) for u, m, n in self.files if u == user}
                assert total == len(mine)
                assert {(r.user, r.md5, r.file_name) for r in rows} == mine
                shared = {(r.md5, r.file_name) for r in rows if r.shared_status}
                assert shared == {k for k, (owner, _) in self.shares.items() if owner == user}
            with store.read() as tx:
                for content in CONTENTS:
                    md5 = hashlib.md5(content).hexdigest()
                    refs = sum(1 for _, m, _ in self.files if m == md5)
                    row = tx.file(md5)
                    assert (row.count if row else 0) == refs
                    if row:
                        assert services.blobs.exists(row.file_id)
            assert len(list(services.blobs.file_ids())) == len({m for _, m, _ in self.files})

    Machine.TestCase.settings = settings(
        max_examples=40, stateful_step_count=steps, deadline=None, suppress_health_check=list(HealthCheck)
    )
    Machine.TestCase().runTest()
