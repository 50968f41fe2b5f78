"""The blob store port: content bytes under FastDFS-style file ids (`group1/M00/xx/yy/name.ext`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from tuchuang.errors import InvalidFileId

FILE_ID = re.compile(
    r"^(?P<group>group[0-9]{1,2})/M(?P<path>[0-9A-F]{2})/"
    r"(?P<d1>[0-9A-F]{2})/(?P<d2>[0-9A-F]{2})/(?P<name>[A-Za-z0-9_-]{6,64})(?P<ext>\.[A-Za-z0-9]{1,6})?$"
)


Named = Callable[[str], None]  # told a new blob's file id before its bytes are written


class BlobStat(NamedTuple):
    size: int
    mtime: float


class BlobStore(Protocol):
    """Where stored contents live; the local directory and FastDFS implement it."""

    def put(
        self,
        source: Path,
        offset: int,
        length: int,
        ext: str,
        tag: str = "",
        named: Named | None = None,
    ) -> str:
        """Store `length` bytes of `source` from `offset`; return the new file id.

        `tag` is the upload intent's token: a store that keeps partial writes names them by it.
        A store that cannot do that (FastDFS) calls `named` with the file id before it writes the
        bytes, so the caller can record it first; `named` may raise to stop the write."""

    def stat(self, file_id: str) -> BlobStat:
        """Return size and modification time; raise BlobNotFound."""

    def stream(self, file_id: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the blob's bytes from `offset`, `length` of them (None: to the end)."""

    def local_path(self, file_id: str) -> Path | None:
        """Return a readable path for zero-copy serving, or None when the blob is remote."""

    def delete(self, file_id: str) -> None:
        """Remove the blob; raise BlobNotFound when there is none."""

    def exists(self, file_id: str) -> bool: ...


def parse_file_id(file_id: str) -> re.Match[str]:
    """Check a file id's shape before it touches any path or socket."""
    match = FILE_ID.match(file_id)
    if match is None:
        raise InvalidFileId(file_id)
    return match


def safe_extension(file_name: str) -> str:
    """The blob extension derived from a file name: <= 6 chars of [A-Za-z0-9], or ''."""
    _, dot, ext = file_name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,6}", ext):
        return ""
    return ext
