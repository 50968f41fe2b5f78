"""Uploads in flight when a worker is told to stop: finish them or say which were cut.

gunicorn stops a worker two ways. SIGTERM (a graceful stop: `systemctl stop`, `docker stop`) lets
requests run for the graceful timeout, then the master kills the worker. SIGINT or SIGQUIT (Ctrl-C
in a terminal, a quick stop) makes the worker exit at once. Either way an upload longer than that
used to be cut without a word. Here each worker keeps the uploads it is handling, and on:
- SIGTERM: logs how many are in flight and, just before the master's deadline, each one still
  running (it is about to be cut);
- SIGINT/SIGQUIT: waits for them (up to the graceful timeout, less a margin), then exits.
An upload cut anyway leaves its partial blob under an intent that `tuchuang fsck` removes; the
client never got a success code, so nothing it was told is lost.
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

MARGIN = 1.0  # seconds before the master's deadline at which the worker reports and gives up


class InFlight:
    """The uploads this process is handling: what each is, and since when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._items: dict[int, list[Any]] = {}
        self._ids = itertools.count()
        self.stopping = False
        self.quitting = False

    @contextmanager
    def upload(self, description: str) -> Iterator[list[Any]]:
        """Register an upload for its duration; the yielded [description, start] may be updated."""
        key = next(self._ids)
        entry = [description, time.monotonic()]
        with self._lock:
            self._items[key] = entry
        ok = False
        try:
            yield entry
            ok = True
        finally:
            with self._lock:
                del self._items[key]
                stopping = self.stopping
                self._done.notify_all()
            if stopping:
                log.warning("shutdown: %s %s during shutdown", entry[0], "finished" if ok else "failed")

    def running(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            return [f"{d} (running {now - t:.0f} s)" for d, t in self._items.values()]

    def wait(self, seconds: float) -> bool:
        """Wait until none is left (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while self._items:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
        return True


UPLOADS = InFlight()


def report_cut(uploads: InFlight) -> None:
    for item in uploads.running():
        log.error(
            "shutdown: upload cut before it finished: %s; the client got no answer, and "
            "`tuchuang fsck` removes its partial blob",
            item,
        )


def install(graceful_timeout: float, uploads: InFlight = UPLOADS) -> None:
    """Wrap this worker's stop signals (call in the worker after gunicorn set its handlers)."""
    budget = max(graceful_timeout - MARGIN, 0.0)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)}

    def graceful(signum: int, frame: Any) -> None:
        uploads.stopping = True
        running = uploads.running()
        if running:
            log.warning("shutdown: %d upload(s) in flight, %.0f s to finish: %s", len(running), budget, running)
            timer = threading.Timer(budget, report_cut, args=(uploads,))
            timer.daemon = True
            timer.start()
        _chain(previous[signal.SIGTERM], signum, frame)

    def quick(signum: int, frame: Any) -> None:
        if uploads.quitting:
            return  # Ctrl-C reaches the worker, then the master's SIGQUIT: the first one waits
        uploads.quitting = uploads.stopping = True
        running = uploads.running()
        if running:
            log.warning("shutdown: waiting up to %.0f s for %d upload(s): %s", budget, len(running), running)
            if uploads.wait(budget):
                time.sleep(0.3)  # the answers are written after the upload is done
            else:
                report_cut(uploads)
        _chain(previous[signal.Signals(signum)], signum, frame)

    signal.signal(signal.SIGTERM, graceful)
    signal.signal(signal.SIGINT, quick)
    signal.signal(signal.SIGQUIT, quick)


def _chain(handler: Any, signum: int, frame: Any) -> None:
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)
