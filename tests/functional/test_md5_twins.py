"""Two contents with one md5 (issue: a collision pair let an upload replace what the twin's later
uploader downloads): every content keeps its SHA-256, and an upload whose md5 is stored with
another SHA-256 is refused instead of becoming a reference to the other content."""

from __future__ import annotations

import hashlib
import os

from tests.client import Dialect, md5_hex

API = Dialect("api")


def stored_sha256(services, md5: str) -> str | None:  # noqa: ANN001
    with services.store.read() as tx:
        row = tx.file(md5)
    return None if row is None else row.sha256


def test_every_content_keeps_its_sha256(app, services, dialect) -> None:  # noqa: ANN001
    token = app.user(dialect, "ann")
    data = os.urandom(5000)
    assert app.upload(dialect, "ann", "a.bin", data, token=token) == {"code": dialect.code("upload.ok")}
    assert stored_sha256(services, md5_hex(data)) == hashlib.sha256(data).hexdigest()


def test_upload_of_an_md5_twin_is_refused(app, services, caplog) -> None:  # noqa: ANN001
    data = os.urandom(5000)
    owner = app.user(API, "first")
    assert app.upload(API, "first", "x.bin", data, token=owner) == {"code": 0}
    md5 = md5_hex(data)
    # What the store holds under this md5 is another content (the collision's first half).
    with services.store.transaction() as tx:
        tx.execute("UPDATE file_info SET sha256 = %s WHERE md5 = %s", "f" * 64, md5)
    later = app.user(API, "second")
    assert app.upload(API, "second", "y.bin", data, token=later) == {"code": 1}
    assert app.files(API, "second", later)["files"] == []
    assert "md5 collision" in caplog.text
    with services.store.read() as tx:
        assert tx.file(md5).count == 1  # no reference was added to the other content


def test_contents_stored_before_sha256s_were_kept_still_dedup(app, services) -> None:  # noqa: ANN001
    data = os.urandom(3000)
    token = app.user(API, "old")
    assert app.upload(API, "old", "o.bin", data, token=token) == {"code": 0}
    with services.store.transaction() as tx:
        tx.execute("UPDATE file_info SET sha256 = NULL WHERE md5 = %s", md5_hex(data))
    other = app.user(API, "new")
    assert app.upload(API, "new", "n.bin", data, token=other) == {"code": 0}
    with services.store.read() as tx:
        assert tx.file(md5_hex(data)).count == 2
