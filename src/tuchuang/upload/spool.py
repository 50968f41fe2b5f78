"""Stream a request body into a spool file in fixed-size chunks, never holding it in memory."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
HEAD = 64 * 1024  # read first and shown to `check_head`: an envelope's header part fits in it


class BodyRefused(Exception):
    """The body is too large, missing or ended early; nothing was kept."""


def spool_body(
    stream: BinaryIO,
    spool_dir: Path,
    max_bytes: int,
    content_length: int | None,
    check_head: Callable[[bytes], None] | None = None,
) -> Path:
    """Write the body to a new file in `spool_dir`; the caller removes it.

    `check_head` sees the first 64 KiB (or the whole body if shorter) before more is read; it
    may raise to refuse the upload there, and the rest of the body is never read."""
    if content_length is not None and content_length > max_bytes:
        raise BodyRefused(f"body of {content_length} bytes exceeds {max_bytes}")
    spool_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".body", dir=spool_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            total = _copy(stream, out, max_bytes, content_length, check_head)
        if content_length is not None and total != content_length:
            raise BodyRefused(f"body ended after {total} of {content_length} bytes")
        if total == 0:
            raise BodyRefused("empty body")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _copy(
    stream: BinaryIO,
    out: BinaryIO,
    max_bytes: int,
    content_length: int | None,
    check_head: Callable[[bytes], None] | None,
) -> int:
    total = 0
    limit = max_bytes if content_length is None else content_length
    while total < limit:
        try:
            chunk = stream.read(min(HEAD if total == 0 else CHUNK, limit - total))
        except (OSError, ValueError) as exc:  # client went away mid-body
            raise BodyRefused(f"body unreadable: {exc}") from exc
        if total == 0 and check_head is not None:
            check_head(chunk)
        if not chunk:
            break
        out.write(chunk)
        total += len(chunk)
    if content_length is None and total >= max_bytes and stream.read(1):
        raise BodyRefused(f"body exceeds {max_bytes} bytes")
    return total


def handed_spool(path_text: str, spool_dir: Path, max_bytes: int) -> Path:
    """The body file a proxy spooled (nginx `$request_body_file`), if it is one of its files.

    Only a regular file strictly inside `spool_dir` after resolving symlinks and `..` is taken:
    anything else would let whoever can send the header upload any file the app can read.
    """
    path = Path(path_text)
    if not path.is_absolute():
        raise BodyRefused("the named spool file's path is not absolute")  # paths are never logged
    try:
        root = spool_dir.resolve(strict=True)
        resolved = path.resolve(strict=True)
        info = resolved.stat()
    except (OSError, RuntimeError, ValueError) as exc:
        raise BodyRefused(
            f"the named spool file is unusable: {getattr(exc, 'strerror', None) or type(exc).__name__}"
        ) from None
    if resolved == root or not resolved.is_relative_to(root):
        raise BodyRefused("the named spool file is outside the spool directory")
    if not stat.S_ISREG(info.st_mode):
        raise BodyRefused("the named spool file is not a regular file")
    if info.st_size == 0:
        raise BodyRefused("empty body")
    if info.st_size > max_bytes:
        raise BodyRefused(f"body of {info.st_size} bytes exceeds {max_bytes}")
    return resolved
