"""Plain rows the metadata store hands to the services."""

from __future__ import annotations

from typing import NamedTuple


class FileRow(NamedTuple):
    md5: str
    file_id: str
    size: int
    type: str
    count: int  # type: ignore[assignment]  # the column's name (the original schema's), over tuple.count
    sha256: str | None = None  # None for contents stored before SHA-256s were kept


class UserFile(NamedTuple):
    user: str
    md5: str
    create_time: str
    file_name: str
    shared_status: int
    pv: int
    file_id: str
    size: int
    type: str


class SharedFile(NamedTuple):
    user: str
    md5: str
    create_time: str
    file_name: str
    pv: int
    file_id: str
    size: int
    type: str


class PictureShare(NamedTuple):
    user: str
    filemd5: str
    file_name: str
    urlmd5: str
    pv: int
    create_time: str
    size: int
