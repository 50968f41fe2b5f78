"""The share page in a real headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import struct
import zlib

from tests.browser.conftest import NO_CHROMIUM
from tests.client import Dialect, md5_hex, qt_upload_body

pytestmark = NO_CHROMIUM


def png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def share_picture(app, user: str, name: str, content: bytes, stored_name: str | None = None) -> str:
    api = Dialect("api")
    token = app.user(api, user)
    stored_name = stored_name or name
    body = qt_upload_body(user, stored_name, content)
    assert app.call(api, "/upload", body, headers={"Authorization": f"Bearer {token}"}) == {"code": 0}
    if stored_name != name:  # names with '"' arrive by instant upload (JSON), as the Qt envelope cannot hold them
        assert app.call(api, "/md5", {"user": user, "token": token, "md5": md5_hex(content), "filename": name}) == {
            "code": 0
        }
    reply = app.call(
        api, "/sharepic?cmd=share", {"user": user, "token": token, "md5": md5_hex(content), "filename": name}
    )
    return reply["urlmd5"]


def test_share_page_renders_the_picture(app, live, browser, tmp_path):
    urlmd5 = share_picture(app, "alice", "red.png", png())
    page = browser.new_page()
    page.goto(f"{live}/share?urlmd5={urlmd5}", wait_until="load")
    assert page.eval_on_selector("#picture", "img => img.complete && img.naturalWidth") == 3
    assert page.inner_text("#sharer") == "alice"
    assert len(page.inner_text("#share-time")) == 19 and page.is_visible("#share-time")
    assert page.inner_text("#views") == "1"
    page.reload(wait_until="load")
    assert page.inner_text("#views") == "2"
    shot = tmp_path / "share-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_hostile_names_do_not_run_in_the_browser(app, live, browser, tmp_path):
    name = '<script>window.__xss=1;alert(1)</script>"\' onerror="window.__xss=2".png'
    urlmd5 = share_picture(app, "<b>x</b>'&", name, png(2, 2), stored_name="plain.png")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live}/share?urlmd5={urlmd5}", wait_until="load")
    assert page.evaluate("window.__xss === undefined")
    assert dialogs == []
    assert page.inner_text("#file-name") == name and page.inner_text("#sharer") == "<b>x</b>'&"
    assert page.eval_on_selector("#picture", "img => img.naturalWidth") == 2
    page.screenshot(path=str(tmp_path / "xss.png"))
