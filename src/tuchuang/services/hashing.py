"""Password hashing off the request threads: a few low-priority threads per worker, a short queue.

argon2 is expensive on purpose (memory-hard: it also takes memory bandwidth and caches from
everything else). Run on the request threads, a flood of logins or registrations takes every core
and every thread, and cheap requests wait behind it. Here each worker process hashes on `threads`
threads (TUCHUANG_HASH_THREADS) at the lowest CPU priority (SCHED_IDLE on Linux, else nice +10),
and rests after each hash so hashing keeps to `share` of one core (TUCHUANG_HASH_SHARE). At most
`waiting` hashes wait (TUCHUANG_HASH_QUEUE, kept below the request threads so they never all
wait); one more is refused at once (Busy), and the endpoint answers its failure code.

bench/run.py's flood section measures a cheap endpoint's p99 beside a login flood.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tuchuang.services.outcomes import Outcome, Refused

log = logging.getLogger(__name__)

NICE = 10


def _lower_priority() -> None:
    """Let this thread run only when no other thread wants the CPU (Linux SCHED_IDLE, which needs
    no privilege), else at nice +10. Linux sets both per thread, by the thread's id."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError) as exc:
        log.debug("password threads cannot use SCHED_IDLE: %s", exc)
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + NICE, 19))
    except (AttributeError, OSError) as exc:
        log.debug("password threads keep the normal priority: %s", exc)


class Busy(Refused):
    """Too many password checks are waiting already; try again later."""

    def __init__(self) -> None:
        super().__init__(Outcome.FAIL, "password work queue full")


class _Job:
    __slots__ = ("fn", "args", "done", "value", "error", "abandoned")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.abandoned = False

    def run(self) -> None:
        try:
            self.value = self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
            self.error = exc
        self.done.set()


class PasswordWork:
    def __init__(
        self, hasher: PasswordHasher, threads: int = 1, waiting: int = 2, share: float = 1.0, timeout: float = 30.0
    ) -> None:
        self.hasher = hasher
        self._share = share
        self._threads = threads
        self._waiting = waiting
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pid = -1
        self._jobs: queue.Queue[_Job] = queue.Queue(waiting)

    def hash(self, secret: str) -> str:
        return str(self._run(self.hasher.hash, secret))

    def verify(self, stored: str, secret: str) -> bool:
        return bool(self._run(self._verify, stored, secret))

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)  # reads the parameters only: cheap

    def _verify(self, stored: str, secret: str) -> bool:
        try:
            return self.hasher.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._start()
        job = _Job(fn, args)
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            raise Busy() from None
        if not job.done.wait(self._timeout):
            job.abandoned = True
            raise Busy()
        if job.error is not None:
            raise job.error
        return job.value

    def _start(self) -> None:
        """Start the threads in this process (after a fork the parent's threads are gone)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._jobs = queue.Queue(self._waiting)
            for n in range(self._threads):
                threading.Thread(
                    target=self._serve, args=(self._jobs, self._share), name=f"argon2-{n}", daemon=True
                ).start()
            self._pid = os.getpid()

    @staticmethod
    def _serve(jobs: queue.Queue[_Job], share: float) -> None:
        _lower_priority()
        while True:
            job = jobs.get()
            if job.abandoned:
                continue
            began = time.monotonic()
            job.run()
            if share < 1.0:  # rest in proportion, so hashing keeps to its share of a core
                time.sleep((time.monotonic() - began) * (1.0 / share - 1.0))
