"""The OpenAPI 3.1 description of the /api dialect, served at /api/openapi.json.

Every protocol answer is HTTP 200 with a `code` (DECISIONS.md D1), so the schemas below describe
each endpoint's success shape and its failure shapes (PROTOCOL.md §12.1) as alternatives.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import falcon

from tuchuang import __version__
from tuchuang.protocol import fields as F

# Request fields come from their one declaration, which the handlers read with (fields.py).
MD5 = F.MD5.schema()
TOKEN = F.TOKEN.schema()
USER = F.USER.schema()
FILE_NAME = F.FILE_NAME.schema()
START = F.START.schema()
PAGE = F.COUNT.schema()
COUNT = {"type": "integer", "minimum": 0}
HTML = {"text/html": {"schema": {"type": "string"}}}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"}


BINARY = {"type": "string", "format": "binary"}


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def code(*values: int, **props: Any) -> dict[str, Any]:
    """An answer `{"code": <one of values>, ...props}`."""
    required = ["code", *props]
    return {
        "type": "object",
        "required": required,
        "properties": {"code": {"type": "integer", "enum": list(values)}, **props},
    }


def any_of(*schemas: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": list(schemas)}


FILE_ITEM = {
    "type": "object",
    "required": ["user", "md5", "create_time", "file_name", "share_status", "pv", "url", "size", "type"],
    "properties": {
        "user": {"type": "string"},
        "md5": {"type": "string"},
        "create_time": TIME,
        "file_name": {"type": "string"},
        "share_status": {"type": "integer", "enum": [0, 1]},
        "pv": COUNT,
        "url": {
            "type": "string",
            "pattern": "^https?://",
            "description": "the file; append `?name=<percent-encoded UTF-8 name>` to download it under that name",
        },
        "size": COUNT,
        "type": {"type": "string"},
    },
}
RANK_ITEM = {
    "type": "object",
    "required": ["filename", "pv"],
    "properties": {"filename": {"type": "string"}, "pv": COUNT},
}
PICTURE_ITEM = {
    "type": "object",
    "required": ["user", "filemd5", "file_name", "urlmd5", "pv", "create_time", "size"],
    "properties": {
        "user": {"type": "string"},
        "filemd5": {"type": "string"},
        "file_name": {"type": "string"},
        "urlmd5": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "pv": COUNT,
        "create_time": TIME,
        "size": COUNT,
    },
}


def listing(item: dict[str, Any]) -> dict[str, Any]:
    return code(0, count=COUNT, total=COUNT, files={"type": "array", "items": item})


def body(required: list[str], **props: Any) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": props}}},
    }


def answer(schema: dict[str, Any], description: str = "the endpoint's answer (failures included: D1)") -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def cmd(*values: str) -> list[dict[str, Any]]:
    return [{"name": "cmd", "in": "query", "required": True, "schema": {"type": "string", "enum": list(values)}}]


def post(summary: str, request: dict[str, Any] | None, schema: dict[str, Any], *, params: list | None = None) -> dict:
    operation: dict[str, Any] = {"summary": summary, "responses": answer(schema)}
    if request is not None:
        operation["requestBody"] = request
    if params:
        operation["parameters"] = params
    return operation


USER_FILE = {"user": USER, "token": TOKEN, "md5": MD5, "filename": FILE_NAME}
UPLOAD_FORMATS = (
    "Three body shapes are accepted, told apart by the part header, never by Content-Type "
    "(DECISIONS.md D9). 1) The Qt client's envelope: one part whose Content-Disposition carries "
    "`user`, `filename`, `md5` and `size` parameters separated by spaces, no `name=`, and a closing "
    "boundary without `--`. 2) The API document's example: the same with `;` between parameters and "
    "a boundary of any number of dashes (taken from the first line). 3) Standard multipart/form-data "
    'from a web page: a file part (`name="…"; filename="…"`) and the fields `user`, `md5`, '
    "`size` and optionally `token`, in any order. The md5 and size are checked against the bytes; "
    "the body may be at most TUCHUANG_MAX_UPLOAD_BYTES. Anything else answers code 1."
)
PAGING = {"user": USER, "token": TOKEN, "start": START, "count": PAGE}


@cache
def spec() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/reg": {
            "post": post(
                "Register (code 2: the name is taken)",
                body(
                    ["userName", "nickName", "firstPwd"],
                    userName=F.USER_NAME.schema(),
                    nickName=F.NICK_NAME.schema(),
                    firstPwd=F.FIRST_PWD.schema(),
                    phone=F.PHONE.schema(),
                    email=F.EMAIL.schema(),
                ),
                code(0, 1, 2),
            )
        },
        "/api/login": {
            "post": post(
                "Log in with md5(password); answers a token",
                body(["user", "pwd"], user=USER, pwd=F.PWD.schema()),
                any_of(
                    code(0, token={"type": "string", "pattern": "^[0-9a-f]{32}$"}),
                    code(1),
                    code(1, token={"const": "fail"}),
                ),
            )
        },
        "/api/logout": {
            "post": post(
                "End a session: the token no longer verifies and its address stops counting for the "
                "token-less legacy actions (0 done, 4 not a live token of this user)",
                body(["user", "token"], user=USER, token=TOKEN),
                code(0, 1, 4),
            )
        },
        "/api/thumb/{group}/M{store}/{d1}/{d2}/{name}": {
            "get": {
                "summary": "A preview of a stored picture (WebP, at most 256 px on its longer side), made once",
                "parameters": [
                    path_param("group", {"type": "string", "pattern": "^group[0-9]{1,2}$"}),
                    path_param("store", {"type": "string", "pattern": "^[0-9A-F]{2}$"}),
                    path_param("d1", {"type": "string", "pattern": "^[0-9A-F]{2}$"}),
                    path_param("d2", {"type": "string", "pattern": "^[0-9A-F]{2}$"}),
                    path_param("name", {"type": "string", "maxLength": 71}),
                ],
                "responses": {
                    "200": {"description": "the preview", "content": {"image/webp": {"schema": BINARY}}},
                    "404": {"description": "no such file, or not a picture that can be previewed"},
                    "503": {"description": "previews are being made for others; retry shortly"},
                },
            }
        },
        "/api/md5": {
            "post": post(
                "Instant upload: 0 added, 1 upload needed, 4 bad token, 5 already yours",
                body(["user", "token", "md5", "filename"], **USER_FILE),
                code(0, 1, 4, 5),
            )
        },
        "/api/upload": {
            "post": {
                "summary": "Upload a file; token required (in the envelope, a token field, a token cookie or "
                "Authorization: Bearer)",
                "description": UPLOAD_FORMATS,
                "parameters": [
                    {"name": "Authorization", "in": "header", "required": False, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "user", "md5", "size"],
                                "properties": {
                                    "file": {**BINARY, "description": "the content; its filename is the file's name"},
                                    "user": USER,
                                    "md5": MD5,
                                    "size": {"type": "integer", "minimum": 1},
                                    "token": TOKEN,
                                },
                            }
                        },
                        "application/octet-stream": {
                            "schema": {**BINARY, "description": "the Qt client's envelope (see the description)"}
                        },
                    },
                },
                "responses": answer(code(0, 1)),
            }
        },
        "/api/myfiles": {
            "post": post(
                "A user's files: count, or a page in upload order or by downloads",
                body(["user", "token"], **PAGING),
                any_of(code(0, total=COUNT), code(1, total=COUNT), listing(FILE_ITEM), code(1)),
                params=cmd("count", "normal", "pvasc", "pvdesc"),
            )
        },
        "/api/dealfile": {
            "post": post(
                "Share, delete or count a download of one's file: 3 already shared, 4 bad token",
                body(["user", "token", "md5", "filename"], **USER_FILE),
                code(0, 1, 3, 4),
                params=cmd("share", "del", "pv"),
            )
        },
        "/api/sharefiles": {
            "get": post(
                "The share square: count",
                None,
                any_of(code(0, total=COUNT), code(1, total=COUNT), code(1)),
                params=cmd("count"),
            ),
            "post": post(
                "The share square: count, a page, or the download ranking",
                body([], start=START, count=PAGE),
                any_of(code(0, total=COUNT), code(1, total=COUNT), listing(FILE_ITEM), listing(RANK_ITEM), code(1)),
                params=cmd("count", "normal", "pvdesc"),
            ),
        },
        "/api/dealsharefile": {
            "post": post(
                "Cancel one's share, save a shared file (5: already yours), count a download",
                body(["user", "md5", "filename"], **USER_FILE),
                code(0, 1, 5),
                params=cmd("cancel", "save", "pv"),
            )
        },
        "/api/sharepic": {
            "post": post(
                "Picture links: share (urlmd5), list, cancel, browse (1 unknown, 2 file deleted)",
                body(
                    [],
                    **USER_FILE,
                    start=START,
                    count=PAGE,
                    urlmd5=F.URLMD5.schema(),
                ),
                any_of(
                    code(0, urlmd5={"type": "string", "pattern": "^[0-9a-f]{32}$"}),
                    listing(PICTURE_ITEM),
                    code(0, url={"type": "string"}, user={"type": "string"}, time=TIME, pv=COUNT),
                    code(0, 1, 2, 4),
                ),
                params=cmd("share", "normal", "cancel", "browse"),
            )
        },
        "/api/share": {
            "get": {
                "summary": "The page of a picture link",
                "parameters": [{"name": "urlmd5", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the picture page", "content": HTML},
                    "404": {"description": "unknown or cancelled link, or the file is gone", "content": HTML},
                },
            }
        },
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tuchuang /api dialect",
            "version": __version__,
            "description": "The documented /api dialect of the 0voice cloud disk (api-v1.21). Every answer is "
            "HTTP 200 with a `code`; the legacy dialect (Qt client) has the same paths without /api.",
        },
        "paths": paths,
    }


class OpenApiDocument:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = json.dumps(spec(), ensure_ascii=False).encode()
        resp.content_type = falcon.MEDIA_JSON
