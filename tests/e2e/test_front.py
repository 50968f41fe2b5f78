"""The web front through nginx in Chromium (the end-to-end tier's smoke flow): register, log in,
upload, see the file, download it under its name, log out."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.browser.conftest import CHROMIUM, FLAGS, NO_CHROMIUM
from tests.e2e.conftest import E2E_URL

pytestmark = NO_CHROMIUM


def test_front_through_nginx(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    user = f"web{uuid.uuid4().hex[:8]}"
    content = os.urandom(2_000_000)
    path = tmp_path / "报告 final.bin"
    path.write_bytes(content)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_context(accept_downloads=True, locale="en-US").new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(E2E_URL + "/")
        page.get_by_role("button", name="Register").click()
        page.get_by_label("User name").fill(user)
        page.get_by_label("Nickname").fill(user)
        page.get_by_label("Password", exact=True).fill("pw through nginx")
        page.get_by_label("Password again").fill("pw through nginx")
        page.get_by_role("button", name="Register").click()
        page.get_by_text("Registered: you can log in now.").wait_for()
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill("pw through nginx")
        page.get_by_role("button", name="Log in").click()
        page.set_input_files("#picker", str(path))
        page.get_by_role("cell", name=path.name, exact=True).wait_for()
        with page.expect_download() as caught:
            page.get_by_role("row", name=path.name).get_by_role("link", name="Download").click()
        assert caught.value.suggested_filename == path.name  # the name came from nginx's header
        assert Path(caught.value.path()).read_bytes() == content
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("heading", name="Log in").wait_for()
        browser.close()
    assert errors == []
