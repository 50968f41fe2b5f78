"""Handlers of the share square, the ranking and picture shares, shared by both dialects."""

from __future__ import annotations

from typing import Any

from tuchuang.db.records import PictureShare
from tuchuang.protocol import fields as F
from tuchuang.protocol.core import file_item, file_key, user_and_token
from tuchuang.protocol.endpoint import Call
from tuchuang.protocol.fields import page
from tuchuang.protocol.replies import Reply, listing


def picture_item(p: PictureShare) -> dict[str, Any]:
    return {
        "user": p.user,
        "filemd5": p.filemd5,
        "file_name": p.file_name,
        "urlmd5": p.urlmd5,
        "pv": p.pv,
        "create_time": p.create_time,
        "size": p.size,
    }


def dealfile_share(call: Call) -> Reply:
    user = F.USER.read(call.body)
    call.services.sharing.share(user, *file_key(call))
    return Reply()


def sharefiles_count(call: Call) -> Reply:
    return Reply(fields={"total": call.services.sharing.count()})


def sharefiles_list(call: Call) -> Reply:
    start, count = page(call.body)
    total, rows = call.services.sharing.page(start, count)
    # §4.11: share_status is the constant 1, as FastCGI and the document emit
    return listing(total, [file_item(f, call.base_url, 1) for f in rows])


def sharefiles_ranking(call: Call) -> Reply:
    start, count = page(call.body)
    total, rows = call.services.sharing.ranking(start, count)
    return listing(total, [{"filename": name, "pv": pv} for name, pv in rows])


def _acting_user(call: Call) -> tuple[str, str, str]:
    """(user, md5, file name) of a dealsharefile request, after the D4 check."""
    user = F.USER.read(call.body)
    md5, name = file_key(call)
    token = F.TOKEN_OPTIONAL.read(call.body) or call.request_token
    call.services.auth.require_tokenless(user, token, call.client_addr, call.cross_site)
    return user, md5, name


def dealsharefile_cancel(call: Call) -> Reply:
    call.services.sharing.cancel(*_acting_user(call))
    return Reply()


def dealsharefile_save(call: Call) -> Reply:
    call.services.sharing.save(*_acting_user(call))
    return Reply()


def dealsharefile_pv(call: Call) -> Reply:
    _, md5, name = _acting_user(call)
    call.services.sharing.add_pv(md5, name)
    return Reply()


def sharepic_share(call: Call) -> Reply:
    user, token = user_and_token(call)
    md5, name = file_key(call)
    call.services.auth.require_token(user, token)
    return Reply(fields={"urlmd5": call.services.pictures.share(user, md5, name)})


def sharepic_normal(call: Call) -> Reply:
    user, token = user_and_token(call)
    start, count = page(call.body)
    call.services.auth.require_token(user, token)
    total, rows = call.services.pictures.page(user, start, count)
    return listing(total, [picture_item(p) for p in rows])


def sharepic_cancel(call: Call) -> Reply:
    user, token = user_and_token(call)
    urlmd5 = F.URLMD5.read(call.body)
    call.services.auth.require_token(user, token)
    call.services.pictures.cancel(user, urlmd5)
    return Reply()


def sharepic_browse(call: Call) -> Reply:
    seen = call.services.pictures.browse(F.URLMD5.read(call.body))
    url = f"{call.base_url}/{seen.file_id}"
    return Reply(fields={"url": url, "user": seen.user, "time": seen.create_time, "pv": seen.pv})
