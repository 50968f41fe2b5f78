"""Run a transaction again when the database chose it as a deadlock victim or its lock wait
timed out (MySQL 1213, 1205): the work was rolled back whole and may simply be repeated.

    for attempt in transactions(store):
        with attempt as tx:
            ...  # database work only: the block may run more than once

A block that returns, raises anything else or completes ends the loop; a block that keeps
meeting lock conflicts raises the last one after `tries` attempts (DatabaseUnavailable).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING

from tuchuang.errors import LockConflict

if TYPE_CHECKING:
    from tuchuang.db import MetadataStore
    from tuchuang.db.tx import Tx

log = logging.getLogger(__name__)

TRIES = 4
BACKOFF = 0.05  # seconds before the second attempt; doubled for each further one, with jitter


class Attempt:
    """One try of the block: a transaction whose lock conflict is kept instead of raised."""

    def __init__(self, store: MetadataStore, last: bool) -> None:
        self._store = store
        self._last = last
        self._cm: AbstractContextManager[Tx] | None = None
        self.conflict: LockConflict | None = None

    def __enter__(self) -> Tx:
        self._cm = self._store.transaction()
        return self._cm.__enter__()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        assert self._cm is not None
        try:
            return bool(self._cm.__exit__(kind, exc, tb))  # commit, or roll back and re-raise
        except LockConflict as conflict:
            if self._last:
                raise
            self.conflict = conflict
            return True


def transactions(store: MetadataStore, tries: int = TRIES) -> Iterator[Attempt]:
    """Attempts of one unit of work; a further one only after a lock conflict rolled it back."""
    for n in range(tries):
        attempt = Attempt(store, last=n == tries - 1)
        yield attempt
        if attempt.conflict is None:
            return
        delay = BACKOFF * (2**n) * (0.5 + random.random())
        log.info("transaction retried after a lock conflict (attempt %d of %d): %s", n + 2, tries, attempt.conflict)
        time.sleep(delay)
