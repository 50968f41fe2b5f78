"""The embedded server's gunicorn worker: gthread, guarded against slow clients (slowloris).

gthread hands a connection to a thread as soon as its first byte arrives, and that thread then
reads the request header with no time limit: 40 connections dripping one header line per second
held every thread of the embedded server. Here, while a thread waits for a request header:
- the header must be complete within HEADER_SECONDS, else the connection is closed;
- one client address may hold at most a quarter of the threads that way;
- when half the threads wait for headers, the longest-waiting connection is closed to make room
  (a real client sends its header in one go, so the one cut is the slow one).
The body is the application's business (uploads are spooled as they come). Behind nginx, which
buffers whole requests first, gunicorn runs the plain gthread worker (deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)

HEADER_SECONDS = 10.0


class HeaderGuard:
    """The connections whose threads wait for a request header, and since when."""

    def __init__(self, threads: int, header_seconds: float = HEADER_SECONDS) -> None:
        self.header_seconds = header_seconds
        self.per_client = max(1, threads // 4)
        self.at_most = max(1, threads // 2)
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[Any, str, float]] = {}  # id(conn) -> (conn, client, since)

    def enter(self, conn: Any) -> bool:
        """A thread starts reading `conn`'s header; False: refuse it (its client holds too many)."""
        client = _client_of(conn)
        with self._lock:
            if sum(1 for _, c, _ in self._waiting.values() if c == client) >= self.per_client:
                return False
            if len(self._waiting) >= self.at_most:
                oldest = min(self._waiting, key=lambda k: self._waiting[k][2])
                self._cut(oldest, "to make room: too many slow request headers")
            self._waiting[id(conn)] = (conn, client, time.monotonic())
        return True

    def leave(self, conn: Any) -> None:
        with self._lock:
            self._waiting.pop(id(conn), None)

    def sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [k for k, (_, _, since) in self._waiting.items() if now - since > self.header_seconds]
            for key in late:
                self._cut(key, f"no complete request header within {self.header_seconds:g} s")

    def _cut(self, key: int, why: str) -> None:
        conn, client, _ = self._waiting.pop(key)
        log.info("closed a connection from %s: %s", client, why)
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)  # the thread's read returns; gunicorn closes it
        except OSError:
            pass


def _client_of(conn: Any) -> str:
    client = getattr(conn, "client", None)
    if isinstance(client, tuple | list) and client:
        return str(client[0])
    return str(client)


class Worker(ThreadWorker):
    def init_process(self) -> None:
        self.header_guard = HeaderGuard(self.cfg.threads)
        threading.Thread(target=self._sweep, name="header-guard", daemon=True).start()
        super().init_process()

    def _sweep(self) -> None:
        while True:
            time.sleep(0.5)
            self.header_guard.sweep()

    def handle(self, conn: Any) -> Any:
        if not self.header_guard.enter(conn):
            log.info("refused a connection from %s: it holds too many threads waiting for headers", _client_of(conn))
            return False  # gunicorn closes it
        try:
            return super().handle(conn)
        finally:
            self.header_guard.leave(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        self.header_guard.leave(conn)  # the header is in: the body is the application's business
        return super().handle_request(req, conn)
