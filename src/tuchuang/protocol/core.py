"""Handlers of accounts and a user's files, shared by both dialects: parse, call, reply."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tuchuang.config import Config
from tuchuang.db.records import SharedFile, UserFile
from tuchuang.protocol import fields as F
from tuchuang.protocol.endpoint import Call, body_stream
from tuchuang.protocol.fields import BadRequest, page
from tuchuang.protocol.replies import Reply, listing
from tuchuang.services.outcomes import Outcome, Refused
from tuchuang.services.uploads import Credentials
from tuchuang.shutdown import UPLOADS
from tuchuang.upload.envelope import declared_by_head
from tuchuang.upload.spool import BodyRefused, handed_spool, spool_body

log = logging.getLogger(__name__)
SPOOL_HEADER = "X-Upload-File"  # set by nginx to $request_body_file (deploy/nginx)


def user_and_token(call: Call) -> tuple[str, str]:
    return F.USER.read(call.body), F.TOKEN.read(call.body)


def file_key(call: Call, name: F.Text = F.FILE_NAME) -> tuple[str, str]:
    """(md5, file name) of a request."""
    return F.MD5.read(call.body), name.read(call.body)


def file_item(f: UserFile | SharedFile, base_url: str, share_status: int) -> dict[str, Any]:
    """One file of a list (a user's files or the share square), in the /api item shape (§4.6)."""
    return {
        "user": f.user,
        "md5": f.md5,
        "create_time": f.create_time,
        "file_name": f.file_name,
        "share_status": share_status,
        "pv": f.pv,
        "url": f"{base_url}/{f.file_id}",
        "size": f.size,
        "type": f.type,
    }


def reg(call: Call) -> Reply:
    b = call.body
    call.services.accounts.register(
        F.USER_NAME.read(b),
        F.NICK_NAME.read(b),
        F.FIRST_PWD.read(b),
        F.PHONE.read(b),
        F.EMAIL.read(b),
        call.client_addr,
    )
    return Reply()


def login(call: Call) -> Reply:
    user, pwd = F.USER.read(call.body), F.PWD.read(call.body)
    token = call.services.accounts.login(user, pwd, call.client_addr)
    return Reply(fields={"token": token})


def logout(call: Call) -> Reply:
    user, token = user_and_token(call)
    call.services.auth.logout(user, token)
    return Reply()


def md5(call: Call) -> Reply:
    user, token = user_and_token(call)
    md5_hex, name = file_key(call, F.FILE_NAME_QT)
    call.services.auth.require_token(user, token)
    return Reply(call.services.files.instant_upload(user, md5_hex, name))


def upload(call: Call) -> Reply:
    credentials = Credentials(
        token=call.request_token,
        client_addr=call.client_addr,
        token_required=call.dialect == "api",  # D3: the /api upload carries a token
        cross_site=call.cross_site,
    )
    uploads = call.services.uploads
    size = call.req.content_length
    what = f"upload from {call.client_addr}" + (f" ({size} bytes)" if size else "")
    with uploads.slot(call.client_addr), UPLOADS.upload(what):
        if call.req.get_header(SPOOL_HEADER) is None:  # the body is still to come: check what is here
            uploads.check_early(credentials, None)

        def check_head(head: bytes) -> None:
            uploads.check_early(credentials, declared_by_head(head))

        with spooled_body(call, check_head) as spool:
            uploads.accept(spool, credentials)
    return Reply()


@contextmanager
def spooled_body(call: Call, check_head: Callable[[bytes], None] | None = None) -> Iterator[Path]:
    """The request body in a spool file, removed afterwards whatever happens.

    Behind nginx the body is already spooled and its path arrives in X-Upload-File; nginx
    removes that file itself (`client_body_in_file_only clean`).
    """
    config = call.config
    handed = call.req.get_header(SPOOL_HEADER)
    if handed is not None:
        yield proxied_spool(call, handed)
        return
    room_for(config, call.req.content_length)
    try:
        spool = spool_body(
            body_stream(call.req),
            config.effective_spool_dir,
            config.max_upload_bytes,
            call.req.content_length,
            check_head,
        )
    except BodyRefused as exc:
        raise BadRequest(str(exc)) from None
    try:
        yield spool
    finally:
        spool.unlink(missing_ok=True)


def room_for(config: Config, size: int | None) -> None:
    """Refuse a body that would leave less than TUCHUANG_SPOOL_MIN_FREE on the spool's disk."""
    spool_dir = config.effective_spool_dir
    spool_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(spool_dir).free
    if free - (size or 0) < config.spool_min_free:
        log.warning("upload refused: %d bytes free in %s, %s asked", free, spool_dir, size or "a chunked body")
        raise Refused(Outcome.FAIL, "the spool disk is full")


def proxied_spool(call: Call, path_text: str) -> Path:
    """Take a spool file named by the proxy: only from a trusted proxy, only inside its spool dir."""
    config = call.config
    peer = call.req.remote_addr
    if config.proxy_spool_dir is None:
        log.warning("refused %s from %s: TUCHUANG_PROXY_SPOOL_DIR is not set", SPOOL_HEADER, peer)
        raise BadRequest(f"{SPOOL_HEADER} not accepted")
    if not config.is_trusted_proxy(peer):
        log.warning("refused %s from untrusted %s", SPOOL_HEADER, peer)
        raise BadRequest(f"{SPOOL_HEADER} not accepted")
    try:
        return handed_spool(path_text, config.proxy_spool_dir, config.max_upload_bytes)
    except BodyRefused as exc:
        log.warning("refused %s from %s: %s", SPOOL_HEADER, peer, exc)
        raise BadRequest(str(exc)) from None


def myfiles_count(call: Call) -> Reply:
    user, token = user_and_token(call)
    call.services.auth.require_token(user, token)
    return Reply(fields={"total": call.services.files.count(user)})


def myfiles_list(order: str):  # noqa: ANN201 - returns a Handler
    def handler(call: Call) -> Reply:
        user, token = user_and_token(call)
        start, count = page(call.body)
        call.services.auth.require_token(user, token)
        total, rows = call.services.files.page(user, order, start, count)
        return listing(total, [file_item(f, call.base_url, f.shared_status) for f in rows])

    return handler


def dealfile_token(call: Call) -> Reply:
    """dealfile verifies the token before it looks at cmd (PROTOCOL.md §4.7, §10.11)."""
    user, token = user_and_token(call)
    call.services.auth.require_token(user, token)
    return Reply()


def dealfile_del(call: Call) -> Reply:
    user = F.USER.read(call.body)
    call.services.files.delete(user, *file_key(call))
    return Reply()


def dealfile_pv(call: Call) -> Reply:
    user = F.USER.read(call.body)
    call.services.files.add_pv(user, *file_key(call))
    return Reply()
