"""The blob store as a local directory laid out like a FastDFS store path (`data/XX/YY/name.ext`)."""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from tuchuang.blobs import FILE_ID, BlobStat, Named, parse_file_id
from tuchuang.errors import BlobNotFound, StorageUnavailable

CHUNK = 1 << 20
_TAG = re.compile(r"[0-9a-f]{32}")


def random_name() -> str:
    return secrets.token_urlsafe(20)


class LocalBlobStore:
    removes_failed_writes = True  # put() unlinks its partial file on any error

    def __init__(
        self,
        root: Path,
        group: str = "group1",
        name_factory: Callable[[], str] = random_name,
        fsync: bool = True,
    ) -> None:
        self.root = Path(root)
        self.group = group
        self.new_name = name_factory
        self.fsync = fsync
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, file_id: str) -> Path:
        m = parse_file_id(file_id)
        if m["group"] != self.group or m["path"] != "00":
            raise BlobNotFound(file_id)
        return self.root / "data" / m["d1"] / m["d2"] / (m["name"] + (m["ext"] or ""))

    def put(
        self,
        source: Path,
        offset: int,
        length: int,
        ext: str,
        tag: str = "",
        named: Named | None = None,
    ) -> str:
        # `named` is not needed here: a blob named by its intent's tag is found whatever happens.
        if _TAG.fullmatch(tag):  # named by its intent, so fsck finds it even if the id was never recorded
            d1, d2, name = tag[0:2].upper(), tag[2:4].upper(), tag
        else:
            d1, d2 = (f"{secrets.randbelow(256):02X}" for _ in range(2))
            name = self.new_name()
        file_id = f"{self.group}/M00/{d1}/{d2}/{name}" + (f".{ext}" if ext else "")
        final = self._path(file_id)
        tmp = self.root / "tmp" / f"{tag if _TAG.fullmatch(tag) else final.name}.part"
        try:
            with open(source, "rb") as src, open(tmp, "xb") as dst:
                _copy_range(src.fileno(), dst.fileno(), offset, length)
                if self.fsync:
                    os.fsync(dst.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.link(tmp, final)  # fails rather than overwrite an existing blob
        except OSError as exc:
            raise StorageUnavailable(f"local store: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return file_id

    def stat(self, file_id: str) -> BlobStat:
        try:
            st = self._path(file_id).stat()
        except FileNotFoundError:
            raise BlobNotFound(file_id) from None
        except OSError as exc:
            raise StorageUnavailable(f"local store: {exc}") from exc
        return BlobStat(st.st_size, st.st_mtime)

    def stream(self, file_id: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            handle = open(self._path(file_id), "rb")
        except FileNotFoundError:
            raise BlobNotFound(file_id) from None
        except OSError as exc:
            raise StorageUnavailable(f"local store: {exc}") from exc
        return _read_range(handle, offset, length)

    def local_path(self, file_id: str) -> Path | None:
        return self._path(file_id)

    def delete(self, file_id: str) -> None:
        try:
            self._path(file_id).unlink()
        except FileNotFoundError:
            raise BlobNotFound(file_id) from None
        except OSError as exc:
            raise StorageUnavailable(f"local store: {exc}") from exc

    def exists(self, file_id: str) -> bool:
        try:
            return self._path(file_id).is_file()
        except BlobNotFound:
            return False

    def check(self) -> None:
        """Raise StorageUnavailable unless the store directory takes writes."""
        if not os.access(self.root / "tmp", os.W_OK | os.X_OK):
            raise StorageUnavailable(f"local store {self.root} is not writable")

    def partial_writes(self) -> Iterator[tuple[str, float]]:
        """(name, mtime) of each partial write a killed upload left in `tmp/` (named by its intent)."""
        for path in sorted((self.root / "tmp").glob("*.part")):
            try:
                yield path.name.removesuffix(".part"), path.stat().st_mtime
            except FileNotFoundError:
                continue

    def written_for(self, tag: str) -> str | None:
        """The id of the blob put() wrote under intent `tag`, if there is one."""
        if not _TAG.fullmatch(tag):
            return None
        for path in (self.root / "data" / tag[0:2].upper() / tag[2:4].upper()).glob(f"{tag}*"):
            file_id = f"{self.group}/M00/{path.parent.parent.name}/{path.parent.name}/{path.name}"
            if FILE_ID.match(file_id):
                return file_id
        return None

    def discard_partial(self, name: str) -> None:
        if "/" in name or name.startswith("."):
            raise ValueError(name)
        (self.root / "tmp" / f"{name}.part").unlink(missing_ok=True)

    def file_ids(self) -> Iterator[str]:
        """Every stored blob's id (for consistency checks)."""
        data = self.root / "data"
        for path in data.glob("[0-9A-F][0-9A-F]/[0-9A-F][0-9A-F]/*"):
            yield f"{self.group}/M00/{path.parent.parent.name}/{path.parent.name}/{path.name}"


def _copy_range(src: int, dst: int, offset: int, length: int) -> None:
    remaining = length
    pos = offset
    while remaining > 0:
        try:
            done = os.copy_file_range(src, dst, min(remaining, 1 << 30), pos)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = _copy_by_read(src, dst, pos, remaining)
        if done == 0:
            raise OSError(errno.EIO, "source ended before the declared range")
        pos += done
        remaining -= done


def _copy_by_read(src: int, dst: int, pos: int, remaining: int) -> int:
    chunk = os.pread(src, min(remaining, CHUNK), pos)
    view = memoryview(chunk)
    while view:
        view = view[os.write(dst, view) :]
    return len(chunk)


def _read_range(handle, offset: int, length: int | None) -> Iterator[bytes]:  # noqa: ANN001
    with handle:
        handle.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
