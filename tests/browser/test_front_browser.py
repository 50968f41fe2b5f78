"""The web front at `/` in a real headless Chromium (Debian's package), on both tiers: accounts,
uploads with instant upload, downloads under the file's name, deletion, logout, hostile names."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.browser.conftest import NO_CHROMIUM
from tests.client import Dialect

pytestmark = NO_CHROMIUM
SHOTS = Path(os.environ.get("TUCHUANG_SCREENSHOT_DIR", "/tmp/tuchuang-screenshots"))


@pytest.fixture
def page(browser, live):  # noqa: ANN001, ANN201
    context = browser.new_context(accept_downloads=True, locale="en-US")
    page = context.new_page()
    page.dialogs = []
    page.errors = []

    def on_dialog(dialog) -> None:  # noqa: ANN001
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live + "/")
    yield page
    context.close()


def shot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_up_and_in(page, user: str) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Register").click()
    page.get_by_label("User name").fill(user)
    page.get_by_label("Nickname").fill(user[:30])
    page.get_by_label("Password", exact=True).fill("secret pw")
    page.get_by_label("Password again").fill("secret pw")
    shot(page, "register")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Registered: you can log in now.").wait_for()
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill("secret pw")
    shot(page, "login")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My files").wait_for()


def test_the_workers_md5_is_md5(page) -> None:  # noqa: ANN001
    """Block boundaries, slices of 4 MiB, and text, against Python's hashlib."""
    sizes = [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, (4 << 20) + 17, 9 << 20]
    digests = page.evaluate(
        """async (sizes) => {
            const worker = new Worker('/static/md5.js');
            const out = [];
            for (const [i, size] of sizes.entries()) {
                const bytes = new Uint8Array(size);
                for (let k = 0; k < size; k++) bytes[k] = (k * 31 + 7) & 255;
                out.push(await new Promise((resolve) => {
                    worker.onmessage = (e) => { if (e.data.md5) resolve(e.data.md5); };
                    worker.postMessage({ id: i, file: new Blob([bytes]) });
                }));
            }
            return out;
        }""",
        sizes,
    )
    expected = [hashlib.md5(bytes((k * 31 + 7) & 255 for k in range(size))).hexdigest() for size in sizes]
    assert digests == expected


def test_upload_instant_upload_download_delete_logout(page, live, app, tmp_path) -> None:  # noqa: ANN001
    sign_up_and_in(page, "webuser")
    content = os.urandom(300_000)
    first = tmp_path / "holiday photo.bin"
    first.write_bytes(content)
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/api/upload") else None)
    page.set_input_files("#picker", str(first))
    page.get_by_role("cell", name="holiday photo.bin", exact=True).wait_for()
    page.get_by_text("Done").wait_for()
    assert len(uploads) == 1
    second = tmp_path / "copy.bin"
    second.write_bytes(content)
    page.set_input_files("#picker", str(second))
    page.get_by_text("Stored at once (the server had it)").wait_for()
    page.get_by_role("cell", name="copy.bin", exact=True).wait_for()
    assert len(uploads) == 1  # the second one never sent its bytes
    shot(page, "files")

    with page.expect_download() as caught:
        page.get_by_role("row", name="holiday photo.bin").get_by_role("link", name="Download").click()
    download = caught.value
    assert download.suggested_filename == "holiday photo.bin"
    assert Path(download.path()).read_bytes() == content

    page.get_by_role("button", name="Delete copy.bin").click()
    page.get_by_role("cell", name="copy.bin", exact=True).wait_for(state="detached")
    assert page.dialogs == ["Delete 1 file(s)? This cannot be undone."]
    token = page.evaluate("localStorage.getItem('token')")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    reply = app.call(Dialect("api"), "/myfiles?cmd=count", {"user": "webuser", "token": token})
    assert reply == {"code": 1, "total": 0}  # the session ended on the server
    assert page.errors == []


def test_an_expired_session_lands_on_the_login_page_with_a_message(page, app) -> None:  # noqa: ANN001
    sign_up_and_in(page, "expiring")
    page.evaluate("localStorage.setItem('token', '0'.repeat(32))")
    page.reload()
    page.get_by_text("Your session has ended: please log in again.").wait_for()
    page.get_by_role("heading", name="Log in").wait_for()


def test_other_tabs_follow_a_logout_and_a_login(page, live) -> None:  # noqa: ANN001
    sign_up_and_in(page, "twotabs")
    other = page.context.new_page()
    other.goto(live + "/")
    other.get_by_role("heading", name="My files").wait_for()
    page.get_by_role("button", name="Log out").click()
    other.get_by_role("heading", name="Log in").wait_for()  # the other tab did not wait for a failed call
    assert other.locator("#logout").is_hidden()
    page.get_by_label("User name").fill("twotabs")
    page.get_by_label("Password").fill("secret pw")
    page.get_by_role("button", name="Log in").click()
    other.get_by_role("heading", name="My files").wait_for()
    assert other.locator("#who").text_content() == "twotabs"
    other.close()


def test_hostile_names_are_text(page, tmp_path) -> None:  # noqa: ANN001
    sign_up_and_in(page, "<img/src=x/onerror=alert(1)>")  # user names hold no spaces
    names = ["<img src=x onerror=alert(1)>.txt", '"quoted" \u202egnp.exe', "<svg onload=alert(2)>.txt"]
    for n, name in enumerate(names):
        page.set_input_files("#picker", {"name": name, "mimeType": "text/plain", "buffer": f"hostile {n}".encode()})
        page.get_by_role("cell", name=name.replace("\u202e", "\ufffd"), exact=True).wait_for()  # the override shown
    assert page.locator("#view img, #view script, #view svg").count() == 0
    assert page.locator("#who").text_content() == "<img/src=x/onerror=alert(1)>"  # the user name, as text
    shot(page, "hostile")
    assert page.dialogs == [] and page.errors == []


def test_chinese_and_switching(browser, live) -> None:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(live + "/")
    page.get_by_role("heading", name="登录").wait_for()
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Log in").wait_for()
    page.reload()
    page.get_by_role("heading", name="Log in").wait_for()  # the choice is kept
    context.close()


def test_pages_carry_a_strict_policy(page, live) -> None:  # noqa: ANN001
    response = page.request.get(live + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert page.request.get(live + "/static/app.js").headers["content-security-policy"] == policy
    assert page.request.get(live + "/static/nope.js").status == 404


def test_a_phone_wide_page(browser, live, app) -> None:  # noqa: ANN001
    """375 px wide: nothing scrolls sideways, and every action is a real control with a name."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    page.goto(live + "/")
    sign_up_and_in(page, "phone")
    page.set_input_files(
        "#picker", {"name": "a rather long file name for a small screen.txt", "mimeType": "text/plain", "buffer": b"x"}
    )
    page.get_by_text("Done").wait_for()
    shot(page, "files-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "A", "INPUT", "SELECT")
    page.get_by_role("button", name="Clear finished").click()
    assert page.locator("#transfers").is_hidden()  # out of the way on a small screen
    context.close()


def test_the_grid_shows_server_made_previews(page) -> None:  # noqa: ANN001
    import io

    from PIL import Image

    sign_up_and_in(page, "gridder")
    picture = io.BytesIO()
    Image.new("RGB", (1600, 900), (20, 120, 220)).save(picture, "PNG")
    page.set_input_files("#picker", {"name": "sky.png", "mimeType": "image/png", "buffer": picture.getvalue()})
    page.set_input_files("#picker", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"words"})
    page.get_by_role("cell", name="notes.txt", exact=True).wait_for()
    page.get_by_role("button", name="Grid").click()
    image = page.locator(".tile img")
    image.wait_for()
    page.wait_for_function("document.querySelector('.tile img').complete")
    assert image.get_attribute("src").startswith("/api/thumb/group1/M00/")
    assert page.evaluate("document.querySelector('.tile img').naturalWidth") == 256  # the preview, not the picture
    assert page.locator(".tile .badge").all_text_contents() == ["txt"]
    shot(page, "grid")
    page.reload()
    page.locator(".tile img").wait_for()  # the layout is kept


def test_share_square_save_and_ranking(browser, live, app) -> None:  # noqa: ANN001
    """One user shares; another finds it in the square, downloads it (its count goes up in the
    ranking) and saves it into their own files; the first stops sharing."""
    pages = []
    for user in ("alice", "bob"):
        context = browser.new_context(accept_downloads=True, locale="en-US")
        page = context.new_page()
        page.goto(live + "/")
        sign_up_and_in(page, user)
        pages.append(page)
    alice, bob = pages
    alice.set_input_files("#picker", {"name": "recipe.txt", "mimeType": "text/plain", "buffer": b"flour, water"})
    alice.get_by_role("button", name="Share recipe.txt").click()
    alice.get_by_role("button", name="Stop sharing recipe.txt").wait_for()

    bob.get_by_role("link", name="Share square").click()
    bob.get_by_role("cell", name="recipe.txt", exact=True).wait_for()
    shot(bob, "square")
    with bob.expect_download() as caught:
        bob.get_by_role("row", name="recipe.txt").get_by_role("link", name="Download").click()
    assert Path(caught.value.path()).read_bytes() == b"flour, water"
    bob.get_by_role("button", name="Save to my files recipe.txt").click()
    bob.get_by_text("Saved to your files.").wait_for()
    from playwright.sync_api import expect

    bob.get_by_role("link", name="Ranking").click()
    bob.get_by_role("heading", name="Ranking").wait_for()
    expect(bob.get_by_role("row", name="recipe.txt").get_by_role("cell")).to_have_text(["1", "recipe.txt", "1"])
    shot(bob, "ranking")
    bob.get_by_role("link", name="My files").click()
    bob.get_by_role("cell", name="recipe.txt", exact=True).wait_for()

    alice.get_by_role("button", name="Stop sharing recipe.txt").click()
    alice.get_by_role("button", name="Share recipe.txt").wait_for()
    bob.get_by_role("link", name="Share square").click()
    bob.get_by_text("Nothing is shared yet.").wait_for()
    for page in pages:
        page.context.close()


def test_picture_links(page, live) -> None:  # noqa: ANN001
    import io

    from PIL import Image

    sign_up_and_in(page, "linker")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 200, 0)).save(picture, "PNG")
    page.set_input_files("#picker", {"name": 'sun "noon".png', "mimeType": "image/png", "buffer": picture.getvalue()})
    page.get_by_role("button", name='Picture link sun "noon".png').click()
    page.get_by_role("heading", name="Picture links").wait_for()
    field = page.get_by_role("textbox", name='Picture link sun "noon".png')
    url = field.input_value()
    assert url.startswith(live + "/share?urlmd5=")
    from playwright.sync_api import expect

    page.get_by_label("Format").select_option("Markdown")  # the list is drawn again: wait for it
    expect(page.get_by_role("textbox", name='Picture link sun "noon".png')).to_have_value(f"![sun _noon_.png]({url})")
    page.get_by_label("Format").select_option("BBCode")
    expect(page.get_by_role("textbox", name='Picture link sun "noon".png')).to_have_value(f"[img]{url}[/img]")
    shot(page, "pictures")
    viewer = page.context.new_page()
    viewer.goto(url)
    viewer.locator("img").wait_for()
    viewer.close()
    page.reload()
    expect(page.get_by_role("row", name='sun "noon".png').get_by_role("cell").nth(2)).to_have_text("1")  # one view
    page.get_by_role("button", name='Stop sharing sun "noon".png').click()
    page.get_by_text("No picture links yet: make one from a picture in My files.").wait_for()


def test_a_100_mib_file_through_the_page(page, tmp_path) -> None:  # noqa: ANN001
    """Issue 11: 100 MiB uploads with progress events, downloads byte-exact under its name, and
    the same bytes under another name are stored at once, with no upload request."""
    sign_up_and_in(page, "bigfile")
    big = tmp_path / "video 100.bin"
    digest = hashlib.md5()
    with open(big, "wb") as out:
        for _ in range(100):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            out.write(chunk)
    page.evaluate("""() => {
        window.progressEvents = 0;
        const open = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (...args) {
            this.upload.addEventListener('progress', () => window.progressEvents++);
            return open.apply(this, args);
        };
    }""")
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/api/upload") else None)
    # Loopback takes 100 MiB in a blink, between two progress events (at most one per 50 ms): the
    # browser's own throttle makes the upload last about a second, as on a fast real link.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 100 << 20},
    )
    page.set_input_files("#picker", str(big))
    page.get_by_role("cell", name=big.name, exact=True).wait_for(timeout=120_000)
    assert page.evaluate("window.progressEvents") > 1
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    with page.expect_download(timeout=120_000) as caught:
        page.get_by_role("row", name=big.name).get_by_role("link", name="Download").click()
    assert caught.value.suggested_filename == big.name
    got = hashlib.md5()
    with open(caught.value.path(), "rb") as f:
        while chunk := f.read(1 << 20):
            got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()
    again = tmp_path / "again.bin"
    again.symlink_to(big)
    page.set_input_files("#picker", str(again))
    page.get_by_text("Stored at once (the server had it)").wait_for(timeout=120_000)
    assert len(uploads) == 1
