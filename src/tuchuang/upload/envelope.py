"""Parse an upload body from its spool file: who, what name, declared md5/size, payload range.

Three shapes (DECISIONS.md D9), told apart by the part header, never by Content-Type:
- the Qt client's (PROTOCOL.md §5.1): no `name=` parameter, `user= filename= md5= size=`
  separated by spaces, body ends with CR LF + boundary and no closing `--`;
- the API document's: the same with `;` separators and any number of leading dashes;
- standard multipart/form-data: a file part plus `user`, `md5`, `size`, `token` field parts.
Only the header block and the trailer are read; the payload is located, never loaded.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_LIMIT = 64 * 1024
BOUNDARY_LIMIT = 200
FIELD_LIMIT = 4096
MAX_PARTS = 32
SCAN_CHUNK = 1 << 20

_WHOLE_NAME = re.compile(rb"(?:^|[\s;])name\s*=", re.IGNORECASE)
_PARAM = re.compile(
    rb'(?:^|[\s;])(user|filename|md5|size|token)\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]*))',
    re.IGNORECASE,
)
_MD5 = re.compile(r"[0-9a-fA-F]{32}")
_SIZE = re.compile(r"[0-9]{1,18}")


class MalformedEnvelope(ValueError):
    """The body fits none of the accepted shapes, or its declared md5/size are wrong."""


@dataclass(frozen=True)
class Envelope:
    user: str
    filename: str
    md5: str
    size: int
    token: str | None
    offset: int
    length: int
    shape: str


def parse_envelope(path: Path) -> Envelope:
    """Locate the payload and read the declared fields of the body in `path`."""
    total = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(HEAD_LIMIT)
        eol = head.find(b"\r\n")
        if eol <= 0 or eol > BOUNDARY_LIMIT or re.search(rb"\s", head[:eol]):
            raise MalformedEnvelope("first line is not a boundary")
        boundary = head[:eol]
        header_end = head.find(b"\r\n\r\n", eol)
        if header_end < 0:
            raise MalformedEnvelope("part header does not end within the first 64 KiB")
        headers = head[eol + 2 : header_end]
        disposition = _header(headers, b"content-disposition") or b""
        if _WHOLE_NAME.search(disposition):
            return _parse_multipart(f, total, boundary)
        return _parse_qt(f, total, boundary, headers, header_end + 4)


@dataclass(frozen=True)
class Declared:
    """Who an upload says it comes from, known from the first bytes of its body."""

    user: str
    token: str | None


def declared_by_head(head: bytes) -> Declared | None:
    """The user (and token) named at the start of a body in the Qt client's or the API document's
    shape, so an upload can be refused before the rest arrives. None when the start does not tell
    (standard multipart may send its fields after the file; a malformed start fails later)."""
    eol = head.find(b"\r\n")
    if eol <= 0 or eol > BOUNDARY_LIMIT or re.search(rb"\s", head[:eol]):
        return None
    header_end = head.find(b"\r\n\r\n", eol)
    if header_end < 0:
        return None
    headers = head[eol + 2 : header_end]
    if _WHOLE_NAME.search(_header(headers, b"content-disposition") or b""):
        return None
    fields = _qt_fields(headers)
    if not fields.get("user"):
        return None
    return Declared(fields["user"], fields.get("token"))


def _qt_fields(headers: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for m in _PARAM.finditer(headers):
        key = m.group(1).decode().lower()
        if key not in fields:
            fields[key] = _text(m.group(2) if m.group(2) is not None else m.group(3))
    return fields


def verify_payload(path: Path, envelope: Envelope) -> str:
    """The payload's md5 and size must equal the declared ones; return its SHA-256 (hex).

    The SHA-256 runs in a second thread over its own handle (hashlib releases the GIL), so it
    costs no time beside the md5, the slower of the two.
    """
    if envelope.length != envelope.size:
        raise MalformedEnvelope("declared size does not match the payload")
    sha = hashlib.sha256()
    failed: list[BaseException] = []

    def sha_pass() -> None:
        try:
            with open(path, "rb") as f:
                for chunk in _read_range(f, envelope.offset, envelope.length):
                    sha.update(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failed.append(exc)

    helper = threading.Thread(target=sha_pass, name="sha256", daemon=True)
    helper.start()
    digest = hashlib.md5()
    try:
        with open(path, "rb") as f:
            for chunk in _read_range(f, envelope.offset, envelope.length):
                digest.update(chunk)
    finally:
        helper.join()
    if failed:
        raise failed[0]
    if digest.hexdigest() != envelope.md5:
        raise MalformedEnvelope("declared md5 does not match the payload")
    return sha.hexdigest()


def _parse_qt(f: BinaryIO, total: int, boundary: bytes, headers: bytes, start: int) -> Envelope:
    fields = _qt_fields(headers)
    user, filename, md5, size = _required(fields)
    end = _trailer_start(f, total, boundary, start)
    length = size if _marker_at(f, start + size, boundary) else None
    if end is not None and (length is None or end - start == size):
        length = end - start
    if length is None:
        raise MalformedEnvelope("body does not end with the boundary (truncated?)")
    return Envelope(user, filename, md5, size, fields.get("token"), start, length, "qt")


def _trailer_start(f: BinaryIO, total: int, boundary: bytes, start: int) -> int | None:
    """Where the payload ends if the body ends in CR LF + boundary [+ "--"] [+ CR LF]."""
    marker = b"\r\n" + boundary
    tail_len = min(total - start, len(marker) + 4)
    f.seek(total - tail_len)
    tail = f.read(tail_len)
    for suffix in (marker + b"--\r\n", marker + b"\r\n", marker + b"--", marker):
        if tail.endswith(suffix):
            return total - len(suffix)
    return None


def _marker_at(f: BinaryIO, pos: int, boundary: bytes) -> bool:
    """Whether CR LF + boundary starts at `pos` (the declared size ends at a trailer)."""
    marker = b"\r\n" + boundary
    f.seek(pos)
    return f.read(len(marker)) == marker


def _parse_multipart(f: BinaryIO, total: int, boundary: bytes) -> Envelope:
    delimiter = b"\r\n" + boundary
    fields: dict[str, str] = {}
    file_part: tuple[str, int, int] | None = None
    part_start = len(boundary) + 2
    for count, pos in enumerate(_find_all(f, delimiter, part_start, total)):
        if count >= MAX_PARTS:
            raise MalformedEnvelope("too many parts")
        name, filename, body_start = _part_header(f, part_start, pos)
        if filename is not None and file_part is None:
            file_part = (filename, body_start, pos - body_start)
        elif filename is None and name in ("user", "md5", "size", "token") and name not in fields:
            if pos - body_start > FIELD_LIMIT:
                raise MalformedEnvelope(f"field {name} too long")
            f.seek(body_start)
            fields[name] = _text(f.read(pos - body_start))
        f.seek(pos + len(delimiter))
        after = f.read(2)
        if after == b"--":
            break
        if after != b"\r\n":
            raise MalformedEnvelope("boundary not followed by CR LF or --")
        part_start = pos + len(delimiter) + 2
    else:
        raise MalformedEnvelope("multipart body has no closing boundary")
    if file_part is None:
        raise MalformedEnvelope("no file part")
    fields["filename"] = _browser_unescaped(file_part[0])
    user, filename, md5, size = _required(fields)
    return Envelope(user, filename, md5, size, fields.get("token"), file_part[1], file_part[2], "multipart")


def _part_header(f: BinaryIO, start: int, end: int) -> tuple[str | None, str | None, int]:
    f.seek(start)
    block = f.read(min(end - start, HEAD_LIMIT))
    header_end = block.find(b"\r\n\r\n")
    if header_end < 0:
        raise MalformedEnvelope("part without a header block")
    disposition = _header(block[:header_end], b"content-disposition") or b""
    params: dict[str, str] = {}
    for m in re.finditer(rb'(?:^|[\s;])(name|filename)\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]*))', disposition, re.I):
        params.setdefault(m.group(1).decode().lower(), _text(m.group(2) if m.group(2) is not None else m.group(3)))
    return params.get("name"), params.get("filename"), start + header_end + 4


def _browser_unescaped(name: str) -> str:
    """Browsers send `"`, CR and LF in a multipart file name as %22, %0D and %0A (WHATWG HTML,
    multipart/form-data encoding); only those three are undone."""
    return name.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _header(block: bytes, name: bytes) -> bytes | None:
    for line in block.split(b"\r\n"):
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name:
            return value.strip()
    return None


def _required(fields: dict[str, str]) -> tuple[str, str, str, int]:
    missing = [k for k in ("user", "filename", "md5", "size") if not fields.get(k)]
    if missing:
        raise MalformedEnvelope("missing " + ", ".join(missing))
    if not _MD5.fullmatch(fields["md5"]):
        raise MalformedEnvelope("md5 is not 32 hex digits")
    if not _SIZE.fullmatch(fields["size"]):
        raise MalformedEnvelope("size is not a decimal number")
    return fields["user"], fields["filename"], fields["md5"].lower(), int(fields["size"])


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # The ccshiwoya fork of the Qt client writes names with toLocal8Bit(): GBK on Windows.
        return raw.decode("gb18030", errors="replace")


def _find_all(f: BinaryIO, pattern: bytes, start: int, total: int) -> Iterator[int]:
    """Yield every offset of `pattern` in the file from `start`, scanning in chunks."""
    pos = start
    while pos < total:
        f.seek(pos)
        chunk = f.read(SCAN_CHUNK + len(pattern) - 1)
        hit = chunk.find(pattern)
        if hit >= 0:
            yield pos + hit
            pos += hit + len(pattern)
        elif len(chunk) < len(pattern):
            return
        else:
            pos += len(chunk) - len(pattern) + 1


def _read_range(f: BinaryIO, offset: int, length: int) -> Iterator[bytes]:
    f.seek(offset)
    remaining = length
    while remaining > 0:
        chunk = f.read(min(SCAN_CHUNK, remaining))
        if not chunk:
            raise MalformedEnvelope("payload ends before its declared range")
        remaining -= len(chunk)
        yield chunk
