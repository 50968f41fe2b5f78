"""`/api/thumb/<file id>`: previews of stored pictures (issue 11). Made once and kept, never for a
deleted file, and a decompression bomb is refused before it is decoded."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, ImageFile

from tests.client import Dialect, md5_hex

LEGACY = Dialect("legacy")


def picture(fmt: str, size: tuple[int, int] = (1200, 800), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None).save(out, fmt)
    return out.getvalue()


def stored(app, user: str, name: str, content: bytes) -> str:  # noqa: ANN001
    token = app.user(LEGACY, user)
    assert app.upload(LEGACY, user, name, content)["code"] == "008"
    [item] = [f for f in app.files(LEGACY, user, token)["files"] if f["file_name"] == name]
    return item["url"].split("/", 3)[3]


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "b.png"), ("GIF", "c.gif"), ("WEBP", "d.webp")])
def test_a_preview_is_a_small_webp(app, fmt: str, name: str) -> None:  # noqa: ANN001
    file_id = stored(app, "pics", name, picture(fmt))
    resp = app.web.get(f"/api/thumb/{file_id}")
    assert resp.content_type == "image/webp"
    assert "immutable" in resp.headers["Cache-Control"]
    with Image.open(io.BytesIO(resp.body)) as preview:
        assert preview.format == "WEBP" and preview.size == (256, 171)


def test_made_once_then_kept(app, config, monkeypatch) -> None:  # noqa: ANN001
    from tuchuang.services import thumbnails

    file_id = stored(app, "once", "p.png", picture("PNG"))
    made = []
    real = thumbnails._thumbnail
    monkeypatch.setattr(thumbnails, "_thumbnail", lambda source: made.append(1) or real(source))
    first = app.web.get(f"/api/thumb/{file_id}").body
    assert app.web.get(f"/api/thumb/{file_id}").body == first
    assert made == [1]
    assert list(config.effective_thumb_dir.rglob("*.webp"))


def test_a_deleted_file_has_no_preview(app) -> None:  # noqa: ANN001
    content = picture("PNG", (300, 300))
    token = app.user(LEGACY, "gone")
    app.upload(LEGACY, "gone", "g.png", content)
    [item] = app.files(LEGACY, "gone", token)["files"]
    file_id = item["url"].split("/", 3)[3]
    assert app.web.get(f"/api/thumb/{file_id}").status_int == 200  # cached now
    assert app.dealfile(LEGACY, "del", "gone", token, md5_hex(content), "g.png")["code"] == "013"
    assert app.web.get(f"/api/thumb/{file_id}", expect_errors=True).status_int == 404


def bomb() -> bytes:
    """An 8000 x 8000 greyscale PNG of zeros: 64 megapixels in about 60 KB (below Pillow's own
    bomb limit, above ours)."""
    import struct

    width = height = 8000
    raw = zlib.compress(b"\0" * (width + 1) * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_unread(app, monkeypatch) -> None:  # noqa: ANN001
    file_id = stored(app, "bomber", "bomb.png", bomb())
    loaded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loaded.append(1))
    assert app.web.get(f"/api/thumb/{file_id}", expect_errors=True).status_int == 404
    assert loaded == []


@pytest.mark.parametrize(
    ("name", "content"),
    [("doc.txt", b"not a picture"), ("fake.png", b"not a png at all"), ("page.html", b"<script></script>")],
)
def test_no_preview_of_other_files(app, name: str, content: bytes) -> None:  # noqa: ANN001
    file_id = stored(app, "other", name, content)
    assert app.web.get(f"/api/thumb/{file_id}", expect_errors=True).status_int == 404


def test_unknown_and_malformed_ids(app) -> None:  # noqa: ANN001
    assert app.web.get("/api/thumb/group1/M00/00/00/AAAAAAAAAAAA.png", expect_errors=True).status_int == 404
    assert app.web.get("/api/thumb/group1/M00/zz/00/..%2F..%2Fetc.png", expect_errors=True).status_int == 404
