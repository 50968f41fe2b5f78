"""The blob store on FastDFS, through a small client of its TCP protocol (FASTDFS.md §2-§3).

Standard library only: the PyPI clients exit the process, spin on EOF and break after fork
(FASTDFS.md §1). Every socket has a connect timeout and an I/O timeout, EOF before a declared
length is an error, uploads go from the spooled file to the socket with sendfile, and the
errors become the project's own (`BlobNotFound`, `StorageUnavailable`).
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tuchuang.blobs import BlobStat, Named, parse_file_id
from tuchuang.errors import BlobNotFound, StorageUnavailable

log = logging.getLogger(__name__)

HEADER = struct.Struct(">QBB")  # pkg_len, cmd, status
RESP = 100
GROUP_LEN = 16
EXT_LEN = 6

QUERY_STORE = 101  # TRACKER_PROTO_CMD_SERVICE_QUERY_STORE_WITHOUT_GROUP_ONE
QUERY_FETCH = 102  # ..._QUERY_FETCH_ONE
QUERY_UPDATE = 103  # ..._QUERY_UPDATE: the source storage, for delete
UPLOAD_FILE = 11
UPLOAD_APPENDER_FILE = 23  # a file that may be appended to: created empty, then written
APPEND_FILE = 24
DELETE_FILE = 12
DOWNLOAD_FILE = 14
QUERY_FILE_INFO = 22
ACTIVE_TEST = 111
QUIT = 82
FINFO_FLAGS = 1 | 2  # don't compute the crc32, don't log a missing file

CHUNK = 256 << 10
LAST_TARGET_SECONDS = 300  # how long the storage a tracker named stays a fallback for uploads
MAX_REPLY = 4096  # every reply but a download is small; a larger one is a protocol error


class Address(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class StoreTarget(NamedTuple):
    group: str
    address: Address
    store_path_index: int


class FdfsStatus(Exception):
    """A server answered with a non-zero status (an errno)."""

    def __init__(self, cmd: int, status: int, address: Address) -> None:
        super().__init__(f"cmd {cmd} at {address}: status {status} ({errno.errorcode.get(status, '?')})")
        self.status = status


class ProtocolError(OSError):
    """The peer sent something that is not a FastDFS reply (or closed mid-reply)."""


def parse_address(text: str, default_port: int = 22122) -> Address:
    text = text.strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        return Address(text, default_port)
    return Address(host.strip("[]"), int(port))


def trackers_from_client_conf(path: Path) -> list[Address]:
    """The `tracker_server = host:port` lines of a FastDFS client.conf."""
    found = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "tracker_server" and not line.lstrip().startswith("#"):
            found.append(parse_address(value))
    if not found:
        raise ValueError(f"{path}: no tracker_server line")
    return found


class Connection:
    """One socket to a tracker or storage, speaking header + body frames."""

    def __init__(self, address: Address, connect_timeout: float, timeout: float) -> None:
        self.address = address
        self.sock = socket.create_connection(address, timeout=connect_timeout)
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.idle_since = time.monotonic()

    def send(self, cmd: int, body: bytes = b"", pkg_len: int | None = None, status: int = 0) -> None:
        size = len(body) if pkg_len is None else pkg_len
        self.sock.sendall(HEADER.pack(size, cmd, status) + body)

    def reply(self, cmd: int, limit: int = MAX_REPLY) -> bytes:
        """Read one reply; return its body, or raise FdfsStatus (the body is consumed)."""
        length = self.reply_header(cmd)
        if length > limit:
            raise ProtocolError(f"reply of {length} bytes to cmd {cmd} from {self.address}")
        return self.read_exact(length)

    def reply_header(self, cmd: int) -> int:
        pkg_len, resp, status = HEADER.unpack(self.read_exact(HEADER.size))
        if resp != RESP:
            raise ProtocolError(f"reply cmd {resp} to cmd {cmd} from {self.address}")
        if status:
            if pkg_len > MAX_REPLY:
                raise ProtocolError(f"error reply of {pkg_len} bytes from {self.address}")
            self.read_exact(pkg_len)
            raise FdfsStatus(cmd, status, self.address)
        return pkg_len

    def read_exact(self, size: int) -> bytes:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = self.sock.recv_into(view[got:])
            if n == 0:  # EOF is an error, never "try again" (FASTDFS.md §1)
                raise ProtocolError(f"{self.address} closed the connection after {got} of {size} bytes")
            got += n
        return bytes(buf)

    def usable(self, max_idle: float) -> bool:
        """Whether a pooled socket may be reused: not idle too long, not closed by the peer."""
        if time.monotonic() - self.idle_since > max_idle:
            return False
        self.sock.setblocking(False)  # with a timeout set, recv would wait for data first
        try:
            self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True  # nothing to read: open and quiet
        except OSError:
            return False
        finally:
            self.sock.settimeout(self.timeout)
        return False  # EOF (peer restarted) or unsolicited bytes: either way, not reusable

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ConnectionPool:
    """Idle sockets per address, per process (a forked child starts empty)."""

    def __init__(self, connect_timeout: float, timeout: float, max_idle: int = 8, idle_seconds: float = 60) -> None:
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.max_idle = max_idle
        self.idle_seconds = idle_seconds
        self._idle: dict[Address, list[Connection]] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            self._idle = {}  # the parent's sockets are not ours; don't close them either
            self._lock = threading.Lock()
            self._pid = os.getpid()

    def acquire(self, address: Address) -> Connection:
        self._check_fork()
        while True:
            with self._lock:
                idle = self._idle.get(address)
                conn = idle.pop() if idle else None
            if conn is None:
                return Connection(address, self.connect_timeout, self.timeout)
            if conn.usable(self.idle_seconds):
                return conn
            conn.close()

    def release(self, conn: Connection) -> None:
        self._check_fork()
        conn.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(conn.address, [])
            if len(idle) < self.max_idle:
                idle.append(conn)
                return
        conn.close()

    @contextmanager
    def connection(self, address: Address) -> Iterator[Connection]:
        """A connection that goes back to the pool only if the exchange ended cleanly."""
        conn = self.acquire(address)
        try:
            yield conn
        except FdfsStatus:
            self.release(conn)  # the error reply was read whole: the socket is in sync
            raise
        except BaseException:
            conn.close()
            raise
        self.release(conn)

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _group_field(group: str) -> bytes:
    return group.encode("ascii").ljust(GROUP_LEN, b"\0")


def _ip_field(body: bytes, fixed: int) -> tuple[str, bytes]:
    """Split the variable-size IP field (15 or 45 bytes, FASTDFS.md §3) from a tracker reply."""
    size = len(body) - fixed
    if not 7 <= size <= 64:
        raise ProtocolError(f"tracker reply of {len(body)} bytes")
    return body[GROUP_LEN : GROUP_LEN + size].rstrip(b"\0").decode("ascii"), body[GROUP_LEN + size :]


class _NotStarted(StorageUnavailable):
    """Nothing was sent to a storage: no tracker could name one, or it refused the connection."""


class FastDFSClient:
    """Tracker queries and storage commands with pooled sockets and bounded waits."""

    def __init__(
        self,
        trackers: Sequence[Address],
        connect_timeout: float = 2.0,
        timeout: float = 30.0,
        retry_seconds: float = 0.0,
    ) -> None:
        if not trackers:
            raise ValueError("no FastDFS tracker configured")
        self.trackers = list(trackers)
        self.retry_seconds = retry_seconds
        self.pool = ConnectionPool(connect_timeout, timeout)
        self._next = itertools.count()
        self._last_target: tuple[StoreTarget, float] | None = None  # the storage a tracker last named

    # -- tracker ---------------------------------------------------------------------------------

    def _ask_tracker(self, cmd: int, body: bytes) -> bytes:
        """Ask each tracker in turn; a stale pooled socket gets one fresh retry."""
        start = next(self._next)
        failures = []
        for i in range(len(self.trackers)):
            address = self.trackers[(start + i) % len(self.trackers)]
            for _attempt in range(2):
                try:
                    with self.pool.connection(address) as conn:
                        conn.send(cmd, body)
                        return conn.reply(cmd)
                except FdfsStatus as exc:
                    failures.append(f"{address}: {exc}")  # e.g. ENOENT: it knows no active storage
                    break
                except OSError as exc:
                    failures.append(f"{address}: {exc}")
        raise _NotStarted("no tracker could answer: " + "; ".join(failures))

    def query_store(self) -> StoreTarget:
        body = self._ask_tracker(QUERY_STORE, b"")
        host, rest = _ip_field(body, GROUP_LEN + 9)
        port, index = struct.unpack(">QB", rest)
        target = StoreTarget(body[:GROUP_LEN].rstrip(b"\0").decode("ascii"), Address(host, port), index)
        self._last_target = (target, time.monotonic())
        return target

    def _store_target(self) -> StoreTarget:
        """Where to upload: the storage a tracker names now, else the one it named last.

        A restarted tracker knows no storage until each storage's next heartbeat (30 s by
        default), but the storages themselves still take uploads: for a few minutes the last
        storage named is used, if it answers."""
        try:
            return self.query_store()
        except _NotStarted as exc:
            if self._last_target is None or time.monotonic() - self._last_target[1] > LAST_TARGET_SECONDS:
                raise
            target = self._last_target[0]
            log.info("no tracker names a storage (%s); uploading to the last one named, %s", exc, target.address)
            return target

    def _query_storage(self, cmd: int, group: str, remote: str) -> Address:
        body = self._ask_tracker(cmd, _group_field(group) + remote.encode("ascii"))
        host, rest = _ip_field(body, GROUP_LEN + 8)
        return Address(host, struct.unpack(">Q", rest)[0])

    def query_fetch(self, group: str, remote: str) -> Address:
        return self._query_storage(QUERY_FETCH, group, remote)

    def query_update(self, group: str, remote: str) -> Address:
        return self._query_storage(QUERY_UPDATE, group, remote)

    # -- storage ---------------------------------------------------------------------------------

    def upload(self, source: Path, offset: int, length: int, ext: str, named: Named | None = None) -> str:
        """Store the range; retried while no byte has gone out, for up to `retry_seconds`.

        A restarted tracker knows no storage until each storage's next report, and a storage may
        be restarting: both refuse before the body is sent, so trying again (another tracker,
        the storage it names then) is safe and usually succeeds within seconds.

        With `named`, the blob is created empty first (an appender file), `named` gets its id,
        and only then are the bytes appended: a storage that dies mid-write leaves a partial
        file whose id is already recorded, so it can be found and removed later."""
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.2
        while True:
            try:
                target = self._store_target()
                if named is None:
                    return self._store(target, UPLOAD_FILE, source, offset, length, ext)
                file_id = self._store(target, UPLOAD_APPENDER_FILE, source, 0, 0, ext)
                break
            except _NotStarted as exc:
                if time.monotonic() + delay > deadline:
                    raise StorageUnavailable(str(exc)) from exc
                log.info("FastDFS upload not started (%s); trying again in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        named(file_id)
        if length:
            remote = file_id.partition("/")[2].encode("ascii")
            head = struct.pack(">QQ", len(remote), length) + remote
            try:
                self._exchange(target.address, APPEND_FILE, head, source, offset, length)
            except _NotStarted as exc:  # never again from the top: that would name another blob
                raise StorageUnavailable(str(exc)) from exc
        return file_id

    def _store(self, target: StoreTarget, cmd: int, source: Path, offset: int, length: int, ext: str) -> str:
        head = struct.pack(">BQ", target.store_path_index, length) + ext.encode("ascii")[:EXT_LEN].ljust(EXT_LEN, b"\0")
        reply = self._exchange(target.address, cmd, head, source, offset, length)
        if len(reply) <= GROUP_LEN:
            raise StorageUnavailable(f"upload to {target.address}: short reply")
        return reply[:GROUP_LEN].rstrip(b"\0").decode("ascii") + "/" + reply[GROUP_LEN:].decode("ascii")

    def _exchange(self, address: Address, cmd: int, head: bytes, source: Path, offset: int, length: int) -> bytes:
        """Send `head` and `length` bytes of `source` as one command; return the reply's body."""
        try:
            conn = self.pool.acquire(address)
        except OSError as exc:
            raise _NotStarted(f"storage {address}: {exc}") from exc
        try:
            with open(source, "rb") as src:
                conn.send(cmd, head, pkg_len=len(head) + length)
                if length:
                    sent = conn.sock.sendfile(src, offset, length)  # kernel to kernel, no copy here
                    if sent != length:
                        raise ProtocolError(f"source ended after {sent} of {length} bytes")
                reply = conn.reply(cmd)
        except FdfsStatus as exc:
            self.pool.release(conn)  # the error reply was read whole: the socket is in sync
            raise StorageUnavailable(f"upload to {address}: {exc}") from exc
        except BaseException as exc:
            conn.close()
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"upload to {address}: {exc}") from exc
            raise
        self.pool.release(conn)
        return reply

    def download(self, group: str, remote: str, offset: int = 0, length: int = 0) -> Download:
        """Start a download (length 0 = to the end); the reply header is read before returning."""
        address = self.query_fetch(group, remote)
        body = struct.pack(">QQ", offset, length) + _group_field(group) + remote.encode("ascii")
        conn = self.pool.acquire(address)
        try:
            conn.send(DOWNLOAD_FILE, body)
            size = conn.reply_header(DOWNLOAD_FILE)
        except FdfsStatus as exc:
            self.pool.release(conn)
            raise self._missing_or_down(exc, f"{group}/{remote}") from exc
        except BaseException as exc:
            conn.close()
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"download from {address}: {exc}") from exc
            raise
        return Download(self.pool, conn, size)

    def file_info(self, group: str, remote: str) -> BlobStat:
        address = self.query_fetch(group, remote)
        try:
            with self.pool.connection(address) as conn:
                conn.send(QUERY_FILE_INFO, _group_field(group) + remote.encode("ascii"), status=FINFO_FLAGS)
                reply = conn.reply(QUERY_FILE_INFO)
        except FdfsStatus as exc:
            raise self._missing_or_down(exc, f"{group}/{remote}") from exc
        except OSError as exc:
            raise StorageUnavailable(f"file info from {address}: {exc}") from exc
        if len(reply) < 24:
            raise StorageUnavailable(f"file info from {address}: short reply")
        size, mtime = struct.unpack(">QQ", reply[:16])
        return BlobStat(size, float(mtime))

    def delete(self, group: str, remote: str) -> None:
        address = self.query_update(group, remote)
        try:
            with self.pool.connection(address) as conn:
                conn.send(DELETE_FILE, _group_field(group) + remote.encode("ascii"))
                conn.reply(DELETE_FILE)
        except FdfsStatus as exc:
            raise self._missing_or_down(exc, f"{group}/{remote}") from exc
        except OSError as exc:
            raise StorageUnavailable(f"delete at {address}: {exc}") from exc

    def active_test(self, address: Address) -> None:
        try:
            with self.pool.connection(address) as conn:
                conn.send(ACTIVE_TEST)
                conn.reply(ACTIVE_TEST)
        except (FdfsStatus, OSError) as exc:
            raise StorageUnavailable(f"active test of {address}: {exc}") from exc

    @staticmethod
    def _missing_or_down(exc: FdfsStatus, file_id: str) -> Exception:
        # The storage itself said ENOENT: the file is gone (a failing tracker query is "down").
        if exc.status == errno.ENOENT:
            return BlobNotFound(file_id)
        return StorageUnavailable(f"{file_id}: {exc}")

    def close(self) -> None:
        self.pool.clear()


class Download:
    """The body of a download reply, streamed; EOF before its length is StorageUnavailable."""

    def __init__(self, pool: ConnectionPool, conn: Connection, size: int) -> None:
        self.pool = pool
        self.conn: Connection | None = conn
        self.size = size
        self.remaining = size

    def __iter__(self) -> Download:
        return self

    def __next__(self) -> bytes:
        conn = self.conn
        if conn is None:
            raise StopIteration
        if self.remaining == 0:
            self.conn = None
            self.pool.release(conn)
            raise StopIteration
        try:
            chunk = conn.sock.recv(min(CHUNK, self.remaining))
        except OSError as exc:
            self.close()
            raise StorageUnavailable(f"download from {conn.address}: {exc}") from exc
        if not chunk:
            self.close()
            raise StorageUnavailable(f"{conn.address} closed mid-body, {self.remaining} of {self.size} bytes missing")
        self.remaining -= len(chunk)
        return chunk

    def close(self) -> None:
        """Abandon the rest: the socket is out of step, so it is closed, not pooled."""
        conn, self.conn = self.conn, None
        if conn is not None:
            if self.remaining == 0:
                self.pool.release(conn)
            else:
                conn.close()

    def __del__(self) -> None:
        self.close()


@dataclass
class FastDFSBlobStore:
    """The BlobStore port over FastDFS; file ids are FastDFS's own (`group1/M00/…`)."""

    client: FastDFSClient
    store_path: Path | None = None  # group1's store_path0 (M00), when mounted here (for fsck)
    # further store paths mounted here, by "<group>/M<nn>" (several groups, several store paths)
    store_paths: dict[str, Path] = field(default_factory=dict)

    def mounted(self) -> dict[str, Path]:
        """Every store path this host can read, by "<group>/M<nn>"."""
        return {**({"group1/M00": self.store_path} if self.store_path is not None else {}), **self.store_paths}

    @staticmethod
    def _split(file_id: str) -> tuple[str, str]:
        parse_file_id(file_id)  # shape check before it goes on the wire
        group, _, remote = file_id.partition("/")
        return group, remote

    def put(
        self,
        source: Path,
        offset: int,
        length: int,
        ext: str,
        tag: str = "",
        named: Named | None = None,
    ) -> str:
        def checked(file_id: str) -> None:
            try:
                parse_file_id(file_id)
            except BlobNotFound:
                raise StorageUnavailable(f"FastDFS returned an id of unexpected shape: {file_id!r}") from None
            if named is not None:
                named(file_id)

        file_id = self.client.upload(source, offset, length, ext, checked if named is not None else None)
        if named is None:
            checked(file_id)
        return file_id

    def stat(self, file_id: str) -> BlobStat:
        return self.client.file_info(*self._split(file_id))

    def stream(self, file_id: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        if length == 0:
            return iter(())  # FastDFS reads length 0 as "to the end", and refuses offset == size
        return self.client.download(*self._split(file_id), offset, length or 0)

    def local_path(self, file_id: str) -> Path | None:
        return None

    def delete(self, file_id: str) -> None:
        self.client.delete(*self._split(file_id))

    def exists(self, file_id: str) -> bool:
        try:
            self.stat(file_id)
        except BlobNotFound:
            return False
        return True

    def file_ids(self) -> Iterator[str]:
        """Every blob under the mounted store paths (FastDFS has no listing command)."""
        mounted = self.mounted()
        if not mounted:
            raise NotImplementedError("set TUCHUANG_STORE_PATH to the storage's store_path0")
        for prefix, root in sorted(mounted.items()):
            yield from _walk_store(root, prefix)

    def check(self) -> None:
        """Raise StorageUnavailable unless a tracker can name a storage that answers."""
        self.client.active_test(self.client.query_store().address)


def _walk_store(root: Path, prefix: str) -> Iterator[str]:
    """The blobs of one store path, named `<prefix>/XX/YY/<name>` (prefix: "group1/M00")."""
    for path in sorted((root / "data").glob("[0-9A-F][0-9A-F]/[0-9A-F][0-9A-F]/*")):
        file_id = f"{prefix}/{path.parent.parent.name}/{path.parent.name}/{path.name}"
        try:
            parse_file_id(file_id)
        except BlobNotFound:
            continue  # not a blob (FastDFS keeps other files around)
        yield file_id
