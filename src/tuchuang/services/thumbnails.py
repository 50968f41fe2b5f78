"""Small previews of stored pictures for the web front: made once on first request, then kept.

Only the raster types served inline are previewed. The picture's header is read first, and one
with more than MAX_PIXELS pixels is refused before it is decoded (a decompression bomb: a few
kilobytes that would decode to gigabytes). JPEGs are decoded at a reduced size. Previews are WebP,
at most SIZE pixels on their longer side, in `<cache>/XX/YY/<name>.webp`, written atomically.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from tuchuang.blobs import BlobStore, parse_file_id
from tuchuang.errors import TuchuangError

log = logging.getLogger(__name__)

SIZE = 256
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a bomb is refused unread
MAX_BYTES = 64 << 20
PREVIEWED = {"jpg", "jpeg", "png", "gif", "webp", "bmp"}


class NoPreview(TuchuangError):
    """The file is not a picture that can be previewed (type, size, pixels, or damaged)."""


class PreviewBusy(TuchuangError):
    """Previews are being made for others; try again shortly."""


class Thumbnails:
    def __init__(self, blobs: BlobStore, cache_dir: Path, at_once: int = 1, wait_seconds: float = 10.0) -> None:
        self.blobs = blobs
        self.cache_dir = cache_dir
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(at_once)

    def path(self, file_id: str) -> Path:
        """The preview of `file_id`, made now if need be; raise BlobNotFound, NoPreview, PreviewBusy."""
        match = parse_file_id(file_id)
        ext = (match.group("ext") or "").lstrip(".").lower()
        if ext not in PREVIEWED:
            raise NoPreview(f"{file_id}: not a previewed picture type")
        stat = self.blobs.stat(file_id)  # a deleted file has no preview, cached or not
        cached = self.cache_dir / match.group("d1") / match.group("d2") / f"{match.group('name')}.webp"
        if cached.is_file():
            return cached
        if stat.size > MAX_BYTES:
            raise NoPreview(f"{file_id}: {stat.size} bytes")
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise PreviewBusy("previews are being made")
        try:
            if not cached.is_file():
                self._make(file_id, cached)
        except OSError as exc:  # the cache cannot be written (disk full, permissions)
            log.warning("preview of %s not made: %s", file_id, exc)
            raise NoPreview(str(exc)) from None
        finally:
            self._slots.release()
        return cached

    def _make(self, file_id: str, target: Path) -> None:
        source = self.blobs.local_path(file_id)
        spooled: Path | None = None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            if source is None:
                fd, name = tempfile.mkstemp(prefix="preview-", dir=self.cache_dir)
                spooled = source = Path(name)
                with os.fdopen(fd, "wb") as out:
                    for chunk in self.blobs.stream(file_id):
                        out.write(chunk)
            image = _thumbnail(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".preview-", suffix=".webp", dir=target.parent)
            with os.fdopen(fd, "wb") as out:
                image.save(out, "WEBP", quality=80, method=4)
            os.replace(tmp, target)
        finally:
            if spooled is not None:
                spooled.unlink(missing_ok=True)


def _thumbnail(source: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise NoPreview(f"{width}x{height} pixels")
                image.draft("RGB", (SIZE, SIZE))  # JPEG: decode at 1/2, 1/4 or 1/8 already
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((SIZE, SIZE))
                return upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
    except NoPreview:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile file makes Pillow raise
        raise NoPreview(f"not a readable picture: {type(exc).__name__}: {exc}") from None
