"""A FastDFS tracker + storage pair at the protocol level (FASTDFS.md §2), written for the tests.

It keeps files in a real FastDFS store layout (`<root>/data/XX/YY/<name>.<ext>`) and can
misbehave on demand: an error status on upload, closing mid-body, stalling, a tracker restart,
and either IP field size (15-byte fields as FastDFS <= 6.10, 45-byte as 6.11-6.14).
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

HEADER = struct.Struct(">QBB")
GROUP_LEN = 16
STALL_LIMIT = 30.0  # a stalled handler gives up by itself, so no test can leave it hanging


@dataclass
class Faults:
    upload_status: int = 0  # reply this errno to uploads (after consuming the body)
    tracker_status: int = 0  # reply this errno to tracker queries
    close_mid_download: bool = False  # send the header and half the body, then close
    close_mid_upload_reply: bool = False  # take the upload, then close without replying
    stall: bool = False  # storage reads the request and never answers
    garbage_reply: bool = False  # storage answers with a header that is not a FastDFS reply
    die_mid_write: bool = False  # write half of an upload's or append's bytes in place, then close


@dataclass
class FakeFastDFS:
    root: Path
    ip_size: int = 16  # IP_ADDRESS_SIZE of the emulated version: 16 or 46
    group: str = "group1"
    faults: Faults = field(default_factory=Faults)
    # Run as separate processes (the compose tier, `main` below): the address to listen on, the
    # ports, which roles this process plays, and the storage the tracker names (a host name is
    # looked up on every query, so a restarted storage container with a new address is found).
    host: str = "127.0.0.1"
    tracker_port: int = 0
    storage_port: int = 0
    roles: tuple[str, ...] = ("tracker", "storage")
    storage_host: str = "127.0.0.1"

    def add_group(self, group: str, host: str, port: int) -> None:
        """Another group's storage, for the tracker to name: uploads go round the groups."""
        self._groups[group] = (host, port)

    def __post_init__(self) -> None:
        if "storage" in self.roles:
            (self.root / "data").mkdir(parents=True, exist_ok=True)
        self._groups: dict[str, tuple[str, int]] = {}  # other groups' storages (add_group)
        self._next_group = 0
        self._stop = threading.Event()
        self._release_stall = threading.Event()
        self._conns: dict[socket.socket, str] = {}
        self._lock = threading.Lock()
        self.requests: list[int] = []
        self.storage_listener = self.tracker_listener = None
        if "storage" in self.roles:
            self.storage_listener = self._listen(self.storage_port)
            self.storage_port = self.storage_listener.getsockname()[1]
            self._serve(self.storage_listener, self._storage)
        if "tracker" in self.roles:
            self.tracker_listener = self._listen(self.tracker_port)
            self.tracker_port = self.tracker_listener.getsockname()[1]
            self._serve(self.tracker_listener, self._tracker)

    # -- control ---------------------------------------------------------------------------------

    @property
    def tracker(self) -> str:
        return f"127.0.0.1:{self.tracker_port}"

    def stop_tracker(self) -> None:
        """Close the tracker's listener and every connection to it."""
        _close(self.tracker_listener)
        with self._lock:
            for conn, role in list(self._conns.items()):
                if role == "tracker":
                    _close(conn)

    def start_tracker(self) -> None:
        self.tracker_listener = self._listen(self.tracker_port)
        self._serve(self.tracker_listener, self._tracker)

    def stop_storage(self) -> None:
        """Close the storage's listener and every connection to it (the tracker still names it)."""
        _close(self.storage_listener)
        with self._lock:
            for conn, role in list(self._conns.items()):
                if role == "storage":
                    _close(conn)

    def start_storage(self) -> None:
        self.storage_listener = self._listen(self.storage_port)
        self._serve(self.storage_listener, self._storage)

    def restart_tracker(self) -> None:
        self.stop_tracker()
        self.start_tracker()

    def close(self) -> None:
        self._stop.set()
        self._release_stall.set()
        for listener in (self.tracker_listener, self.storage_listener):
            if listener is not None:
                _close(listener)
        with self._lock:
            for conn in list(self._conns):
                _close(conn)

    def path_of(self, file_id: str) -> Path:
        _group, _m, d1, d2, name = file_id.split("/")
        return self.root / "data" / d1 / d2 / name

    # -- plumbing --------------------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(64)
        return sock

    def _serve(self, listener: socket.socket, handler) -> None:  # noqa: ANN001
        role = "tracker" if handler == self._tracker else "storage"

        def accept_loop() -> None:
            while not self._stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with self._lock:
                    self._conns[conn] = role
                threading.Thread(target=self._session, args=(conn, handler), daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()

    def _session(self, conn: socket.socket, handler) -> None:  # noqa: ANN001
        conn.settimeout(STALL_LIMIT)
        try:
            while not self._stop.is_set():
                head = _read(conn, HEADER.size)
                if head is None:
                    return
                pkg_len, cmd, status = HEADER.unpack(head)
                self.requests.append(cmd)
                if cmd == 82:  # QUIT
                    return
                if handler(conn, cmd, pkg_len, status) is False:
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.pop(conn, None)
            _close(conn)

    def _reply(self, conn: socket.socket, body: bytes = b"", status: int = 0) -> None:
        conn.sendall(HEADER.pack(len(body), 100, status) + body)

    def _ip(self, host: str | None = None) -> bytes:
        return socket.gethostbyname(host or self.storage_host).encode().ljust(self.ip_size - 1, b"\0")

    def _storage_of(self, group: str) -> tuple[bytes, int]:
        if group == self.group:
            return self._ip(), self.storage_port
        host, port = self._groups[group]
        return self._ip(host), port

    # -- tracker ---------------------------------------------------------------------------------

    def _tracker(self, conn: socket.socket, cmd: int, pkg_len: int, status: int) -> bool:
        body = _read(conn, pkg_len) if pkg_len else b""
        if body is None:
            return False
        if cmd == 111:
            self._reply(conn)
        elif self.faults.tracker_status:
            self._reply(conn, status=self.faults.tracker_status)
        elif cmd == 101:  # store without group: the tracker chooses, round the groups
            groups = [self.group, *self._groups]
            name = groups[self._next_group % len(groups)]
            self._next_group += 1
            ip, port = self._storage_of(name)
            self._reply(conn, name.encode().ljust(GROUP_LEN, b"\0") + ip + struct.pack(">QB", port, 0))
        elif cmd in (102, 103):
            group = body[:GROUP_LEN]
            name = group.rstrip(b"\0").decode(errors="replace")
            if name != self.group and name not in self._groups:
                self._reply(conn, status=errno.ENOENT)
            else:
                ip, port = self._storage_of(name)
                self._reply(conn, group + ip + struct.pack(">Q", port))
        else:
            self._reply(conn, status=errno.EINVAL)
        return True

    # -- storage ---------------------------------------------------------------------------------

    def _storage(self, conn: socket.socket, cmd: int, pkg_len: int, status: int) -> bool:
        if cmd in (11, 23):  # upload, upload an appender file
            return self._upload(conn, pkg_len)
        if cmd == 24:
            return self._append(conn, pkg_len)
        body = _read(conn, pkg_len) if pkg_len else b""
        if body is None:
            return False
        if self.faults.stall:
            self._release_stall.wait(STALL_LIMIT)
            return False
        if self.faults.garbage_reply:
            conn.sendall(HEADER.pack(1 << 40, 7, 0))
            return False
        if cmd == 111:
            self._reply(conn)
        elif cmd == 14:
            return self._download(conn, body)
        elif cmd == 12:
            path = self._local(body)
            if path is None or not path.is_file():
                self._reply(conn, status=errno.ENOENT)
            else:
                path.unlink()
                self._reply(conn)
        elif cmd == 22:
            path = self._local(body)
            if path is None or not path.is_file():
                self._reply(conn, status=errno.ENOENT)
            else:
                st = path.stat()
                self._reply(conn, struct.pack(">QQQ", st.st_size, int(st.st_mtime), 0) + self._ip() + b"\0")
        else:
            self._reply(conn, status=errno.EINVAL)
        return True

    def _local(self, body: bytes) -> Path | None:
        group = body[:GROUP_LEN].rstrip(b"\0").decode(errors="replace")
        remote = body[GROUP_LEN:].decode(errors="replace")
        parts = remote.split("/")
        if group != self.group or len(parts) != 4 or parts[0] != "M00" or any(p in ("", ".", "..") for p in parts):
            return None
        return self.root / "data" / parts[1] / parts[2] / parts[3]

    def _upload(self, conn: socket.socket, pkg_len: int) -> bool:
        head = _read(conn, 15)
        if head is None:
            return False
        _index, size = struct.unpack(">BQ", head[:9])
        ext = head[9:].rstrip(b"\0").decode(errors="replace")
        if size != pkg_len - 15:
            self._reply(conn, status=errno.EINVAL)
            return False
        d1, d2 = (f"{secrets.randbelow(256):02X}" for _ in range(2))
        name = secrets.token_urlsafe(20)[:27] + (f".{ext}" if ext else "")
        final = self.root / "data" / d1 / d2 / name
        final.parent.mkdir(parents=True, exist_ok=True)
        if self.faults.die_mid_write and size:
            return self._die_writing(conn, final, size)  # FastDFS writes the final file in place
        tmp = final.with_name(final.name + ".tmp")
        with open(tmp, "wb") as out:
            remaining = size
            while remaining:
                chunk = conn.recv(min(1 << 20, remaining))
                if not chunk:
                    out.close()
                    tmp.unlink()
                    return False
                out.write(chunk)
                remaining -= len(chunk)
        if self.faults.upload_status:
            tmp.unlink()
            self._reply(conn, status=self.faults.upload_status)
            return True
        os.chmod(tmp, 0o644)
        tmp.rename(final)
        if self.faults.close_mid_upload_reply:
            return False
        if self.faults.stall:
            self._release_stall.wait(STALL_LIMIT)
            return False
        self._reply(conn, self.group.encode().ljust(GROUP_LEN, b"\0") + f"M00/{d1}/{d2}/{name}".encode())
        return True

    def _append(self, conn: socket.socket, pkg_len: int) -> bool:
        """APPEND_FILE: name_len u64, size u64, the file name (M00/XX/YY/name), the bytes."""
        head = _read(conn, 16)
        if head is None:
            return False
        name_len, size = struct.unpack(">QQ", head)
        name = _read(conn, name_len) if 0 < name_len < 256 else None
        if name is None or pkg_len != 16 + name_len + size:
            self._reply(conn, status=errno.EINVAL)
            return False
        path = self._local(self.group.encode().ljust(GROUP_LEN, b"\0") + name)
        if path is None or not path.is_file():
            _read(conn, size)
            self._reply(conn, status=errno.ENOENT)
            return True
        if self.faults.die_mid_write and size:
            return self._die_writing(conn, path, size)
        with open(path, "ab") as out:
            remaining = size
            while remaining:
                chunk = conn.recv(min(1 << 20, remaining))
                if not chunk:
                    return False
                out.write(chunk)
                remaining -= len(chunk)
        self._reply(conn)
        return True

    def _die_writing(self, conn: socket.socket, path: Path, size: int) -> bool:
        """Write half the bytes to `path` as they come, then drop the connection (a crash)."""
        with open(path, "ab") as out:
            out.write(_read(conn, size // 2) or b"")
        os.chmod(path, 0o644)
        return False

    def _download(self, conn: socket.socket, body: bytes) -> bool:
        offset, length = struct.unpack(">QQ", body[:16])
        path = self._local(body[16:])
        if path is None or not path.is_file():
            self._reply(conn, status=errno.ENOENT)
            return True
        size = path.stat().st_size
        if offset >= size and not (offset == 0 and size == 0):
            self._reply(conn, status=errno.EINVAL)  # as FastDFS >= 6.15.4 does
            return True
        count = size - offset if length == 0 else min(length, size - offset)
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(count)
        if self.faults.close_mid_download:
            conn.sendall(HEADER.pack(count, 100, 0) + data[: count // 2])
            return False
        self._reply(conn, data)
        return True


def _read(conn: socket.socket, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = conn.recv(min(1 << 20, size - len(buf)))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _close(conn: socket.socket) -> None:
    """shutdown() first: it wakes a thread blocked in accept() or recv() on this socket."""
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


def main(argv: list[str] | None = None) -> int:
    """One role of the fake in a process of its own, until SIGTERM or SIGINT (the compose tier's
    stand-in for the FastDFS image: .ci/compose/docker-compose.ci.yml)."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("role", choices=["tracker", "storage"])
    parser.add_argument("--listen", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, default=Path("/var/fdfs"), help="store_path0 (storage)")
    parser.add_argument("--storage", default="127.0.0.1:23000", help="host:port the tracker names (tracker)")
    parser.add_argument("--group", default="group1")
    parser.add_argument(
        "--more-groups", default="", help="tracker: other groups' storages, group2=host:port,… (uploads go round them)"
    )
    parser.add_argument("--ip-size", type=int, default=46, choices=[16, 46])
    args = parser.parse_args(argv)
    storage_host, _, storage_port = args.storage.rpartition(":")
    fake = FakeFastDFS(
        args.store,
        ip_size=args.ip_size,
        group=args.group,
        host=args.listen,
        roles=(args.role,),
        tracker_port=args.port if args.role == "tracker" else 0,
        storage_port=args.port if args.role == "storage" else int(storage_port),
        storage_host=storage_host if args.role == "tracker" else args.listen,
    )
    for entry in filter(None, (e.strip() for e in args.more_groups.split(","))):
        group, _, address = entry.partition("=")
        host, _, port = address.rpartition(":")
        fake.add_group(group, host, int(port))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"fake FastDFS {args.role} listening on {args.listen}:{args.port}", flush=True)
    stop.wait()
    fake.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
