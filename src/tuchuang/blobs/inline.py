"""Which stored files a browser may render inline from our origin (DECISIONS.md D8).

An allow-list, never the host's mime table: raster images, plain text, PDF, audio and video.
Every other file is sent as `application/octet-stream` with `Content-Disposition: attachment` and
`Content-Security-Policy: sandbox`, so nothing stored can run script on the server's origin.
`deploy/nginx/tuchuang.conf` carries the same table (a test keeps the two equal).
"""

from __future__ import annotations

INLINE_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "ico": "image/x-icon",
    "avif": "image/avif",
    "txt": "text/plain; charset=utf-8",
    "log": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "m4a": "audio/mp4",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "opus": "audio/opus",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "webm": "video/webm",
    "ogv": "video/ogg",
    "mov": "video/quicktime",
}
DOWNLOAD_TYPE = "application/octet-stream"


def inline_type(file_name: str) -> str | None:
    """The Content-Type to serve `file_name` inline with, or None: attachment only."""
    _, dot, ext = file_name.rpartition(".")
    return INLINE_TYPES.get(ext.lower()) if dot else None
