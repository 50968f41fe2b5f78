"""The three original 0voice database layouts, described in the project's own words (table and
column names and types are facts of those servers), and a data set carrying every kind of
corruption real deployments of them carry. Built on SQLite or on MariaDB, for `tuchuang import`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from typing import Any

# column name, MySQL type (SQLite takes its affinity from it)
USER_INFO = [
    ("id", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("user_name", "VARCHAR(32) NOT NULL DEFAULT ''"),
    ("nick_name", "VARCHAR(32) CHARACTER SET utf8mb4 NOT NULL DEFAULT ''"),
    ("password", "VARCHAR(32) NOT NULL DEFAULT ''"),
    ("phone", "VARCHAR(16) NOT NULL DEFAULT ''"),
    ("email", "VARCHAR(64) DEFAULT ''"),
    ("create_time", "TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP"),
]
FILE_INFO = [
    ("id", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("md5", "VARCHAR(256) NOT NULL"),
    ("file_id", "VARCHAR(256) NOT NULL"),
    ("url", "VARCHAR(512) NOT NULL"),
    ("size", "BIGINT DEFAULT 0"),
    ("type", "VARCHAR(32) DEFAULT ''"),
    ("count", "INT DEFAULT 0"),
]
USER_FILE_LIST = [
    ("id", "INT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("user", "VARCHAR(32) NOT NULL"),
    ("md5", "VARCHAR(256) NOT NULL"),
    ("create_time", "TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP"),
    ("file_name", "VARCHAR(128) DEFAULT NULL"),
    ("shared_status", "INT DEFAULT NULL"),
    ("pv", "INT DEFAULT NULL"),
]
SHARE_FILE_LIST = [
    ("id", "INT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("user", "VARCHAR(32) NOT NULL"),
    ("md5", "VARCHAR(256) NOT NULL"),
    ("file_name", "VARCHAR(128) DEFAULT NULL"),
    ("pv", "INT DEFAULT 1"),
    ("create_time", "TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP"),
]
USER_FILE_COUNT = [
    ("id", "INT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("user", "VARCHAR(128) NOT NULL"),
    ("count", "INT DEFAULT NULL"),
]
SHARE_PICTURE_LIST = [
    ("id", "INT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
    ("user", "VARCHAR(32) NOT NULL"),
    ("filemd5", "VARCHAR(256) NOT NULL"),
    ("file_name", "VARCHAR(128) DEFAULT NULL"),
    ("urlmd5", "VARCHAR(256) NOT NULL"),
    ("key", "VARCHAR(8) NOT NULL"),
    ("pv", "INT DEFAULT 1"),
    ("create_time", "TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP"),
]
UNIQUE = {"user_info": [("user_name",), ("nick_name",)], "user_file_count": [("user",)]}
LAYOUTS = {
    "legacy-fastcgi": ["user_info", "file_info", "user_file_list", "share_file_list", "user_file_count"],
    "api-fastcgi": [
        "user_info", "file_info", "user_file_list", "share_file_list", "user_file_count", "share_picture_list",
    ],
    "tc-src": ["user_info", "file_info", "user_file_list", "share_file_list", "share_picture_list"],
}  # fmt: skip
TABLES = {
    "user_info": USER_INFO,
    "file_info": FILE_INFO,
    "user_file_list": USER_FILE_LIST,
    "share_file_list": SHARE_FILE_LIST,
    "user_file_count": USER_FILE_COUNT,
    "share_picture_list": SHARE_PICTURE_LIST,
}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def ddl(table: str, engine: str) -> str:
    columns = []
    for name, type_ in TABLES[table]:
        quoted = f"`{name}`" if engine == "mysql" else f'"{name}"'
        if engine == "sqlite":
            type_ = type_.replace("BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
            type_ = type_.replace("INT NOT NULL AUTO_INCREMENT PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
            type_ = type_.replace(" CHARACTER SET utf8mb4", "")
        columns.append(f"{quoted} {type_}")
    for key in UNIQUE.get(table, []):
        columns.append(f"UNIQUE ({', '.join(key)})")
    tail = " ENGINE=InnoDB DEFAULT CHARSET=utf8" if engine == "mysql" else ""
    return f"CREATE TABLE {table} ({', '.join(columns)}){tail}"


# -- the data: what the original servers' users had, with the originals' corruption -------------

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
NOTES = "笔记 notes\n".encode() * 500
OTHER = b"JFIF" + bytes(reversed(range(256))) * 30
BROKEN = b"a content whose row lost its file id"
UNUSED = b"a content no user file uses any more"
IDS = {
    "photo": "group1/M00/00/00/wKgAAGB5photoAAAAAAAA.png",
    "notes": "group1/M00/00/01/wKgAAGB5notesAAAAAAAA.txt",
    "notes2": "group1/M00/00/01/wKgAAGB5notesCopyAAAA.txt",
    "other": "group1/M00/01/0A/wKgAAGB5otherAAAAAAAA.jpg",
    "other_wrong": "group1/M00/01/0A/wKgAAGB5somethingElse.jpg",
    "unused": "group1/M00/02/00/wKgAAGB5unusedAAAAAAA.bin",
}
HOST = "http://192.168.52.139:80/"


def pwd(text: str) -> str:
    """What the clients send and the originals stored: the md5 hex of the password."""
    return md5(text.encode())


@dataclass
class Dataset:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes, put in the store by the test


def dataset(layout: str) -> Dataset:
    t = "2023-01-24 10:11:12"
    users = [
        dict(
            user_name="alice", nick_name="Alice", password=pwd("alice pw"), phone="13800000000", email="a@example.com"
        ),
        dict(user_name="bob", nick_name="Bob", password=pwd("bob pw").upper(), phone="", email=""),
        dict(user_name="carol x", nick_name="Carol", password=pwd("carol pw"), phone="", email=""),  # a space
        dict(user_name="dave", nick_name="", password=pwd("dave pw"), phone="", email=""),  # empty nick
        dict(user_name="erin", nick_name="Erin", password="plaintext", phone="", email=""),  # not md5 hex
        dict(user_name="frank", nick_name="Frank", password=pwd("frank pw"), phone="", email="not-an-email"),
    ]
    for user in users:
        user["create_time"] = t
    contents = [
        dict(md5=md5(PHOTO), file_id=IDS["photo"], url=HOST + IDS["photo"], size=len(PHOTO), type="png", count=5),
        dict(md5=md5(NOTES), file_id=IDS["notes"], url=HOST + IDS["notes"], size=len(NOTES), type="txt", count=-1),
        # the same md5 twice (the originals' md5 is not unique): the second is a stray copy
        dict(md5=md5(NOTES), file_id=IDS["notes2"], url=HOST + IDS["notes2"], size=len(NOTES), type="txt", count=1),
        dict(md5=md5(BROKEN), file_id="", url="http://192.168.52.139:80/", size=len(BROKEN), type="bin", count=1),
        dict(md5=md5(UNUSED), file_id=IDS["unused"], url=HOST + IDS["unused"], size=len(UNUSED), type="bin", count=1),
        # URL and file_id disagree: the URL is what clients downloaded
        dict(md5=md5(OTHER), file_id=IDS["other_wrong"], url=HOST + IDS["other"], size=len(OTHER), type="jpg", count=1),
    ]
    files = [
        dict(user="alice", md5=md5(PHOTO), file_name="photo.png", shared_status=1, pv=3),
        dict(user="alice", md5=md5(NOTES), file_name="笔记.txt", shared_status=0, pv=-2),  # shared, flag says not
        dict(user="alice", md5=md5(NOTES), file_name="笔记.txt", shared_status=0, pv=0),  # the same row twice
        dict(user="alice", md5=md5(OTHER), file_name="mismatch.jpg", shared_status=0, pv=1),
        dict(user="bob", md5=md5(PHOTO).upper(), file_name="same photo.png", shared_status=0, pv=0),
        dict(user="bob", md5=md5(BROKEN), file_name="broken.bin", shared_status=0, pv=0),
        dict(user="bob", md5=md5(PHOTO), file_name="", shared_status=0, pv=0),  # no name
        dict(user="carol x", md5=md5(PHOTO), file_name="c.png", shared_status=0, pv=0),
        dict(user="ghost", md5=md5(NOTES), file_name="g.txt", shared_status=0, pv=0),  # no such user
        dict(user="frank", md5="not-an-md5", file_name="f.txt", shared_status=0, pv=0),
    ]
    for i, row in enumerate(files):
        row["create_time"] = f"2023-02-0{1 + i % 9} 08:00:0{i % 10}"
    shares = [
        dict(user="alice", md5=md5(PHOTO), file_name="photo.png", pv=7),
        dict(user="alice", md5=md5(NOTES), file_name="笔记.txt", pv=-1),
        dict(user="alice", md5=md5(NOTES), file_name="笔记.txt", pv=2),  # shared twice
        dict(user="bob", md5=md5(UNUSED), file_name="gone.txt", pv=4),  # bob has no such file
    ]
    for row in shares:
        row["create_time"] = t
    rows: dict[str, list[dict[str, Any]]] = {
        "user_info": users, "file_info": contents, "user_file_list": files, "share_file_list": shares,
    }  # fmt: skip
    if "user_file_count" in LAYOUTS[layout]:
        rows["user_file_count"] = [
            dict(user="alice", count=99),
            dict(user="bob", count=-1),
            dict(user="xxx_share_xxx_file_xxx_list_xxx_count_xxx", count=-3),
        ]
        if "share_picture_list" in LAYOUTS[layout]:
            rows["user_file_count"].append(dict(user="alice_share_picture_list_count", count=9))
    if "share_picture_list" in LAYOUTS[layout]:
        same_second = md5(b"alice" + b"2023-03-01 09:00:00")
        rows["share_picture_list"] = [
            dict(user="alice", filemd5=md5(PHOTO), file_name="photo.png", urlmd5=same_second, key="ab12", pv=4),
            dict(user="alice", filemd5=md5(OTHER), file_name="mismatch.jpg", urlmd5=same_second, key="cd34", pv=2),
            dict(user="ghost", filemd5=md5(PHOTO), file_name="x.png", urlmd5=md5(b"ghost"), key="ef56", pv=1),
            # tc-src's ids are 32 random letters
            dict(
                user="bob",
                filemd5=md5(PHOTO),
                file_name="deleted.png",
                urlmd5="qwertyuiopasdfghjklzxcvbnmqwerty",
                key="gh78",
                pv=-5,
            ),
            dict(user="alice", filemd5=md5(PHOTO), file_name="photo.png", urlmd5="short", key="ij90", pv=0),
        ]
        for row in rows["share_picture_list"]:
            row["create_time"] = "2023-03-01 09:00:00"
    blobs = {IDS["photo"]: PHOTO, IDS["notes"]: NOTES, IDS["notes2"]: NOTES, IDS["other"]: OTHER, IDS["unused"]: UNUSED}
    return Dataset(rows, blobs)


def build(conn: Any, engine: str, layout: str, data: Dataset) -> None:
    """Create the layout's tables on `conn` (sqlite3 or PyMySQL) and insert the data set."""
    cursor = conn.cursor()
    mark = "%s" if engine == "mysql" else "?"
    for table in LAYOUTS[layout]:
        cursor.execute(ddl(table, engine))
        for row in data.rows.get(table, []):
            names = ", ".join(f"`{k}`" if engine == "mysql" else f'"{k}"' for k in row)
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(row))})", tuple(row.values())
            )
    conn.commit()
    cursor.close()


def snapshot(conn: Any, layout: str) -> dict[str, list[tuple]]:
    """Every row of the source, to prove the import wrote nothing into it."""
    cursor = conn.cursor()
    out = {}
    for table in LAYOUTS[layout]:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    cursor.close()
    return out


def sqlite_source(path: str, layout: str) -> Dataset:
    data = dataset(layout)
    conn = sqlite3.connect(path)
    build(conn, "sqlite", layout, data)
    conn.close()
    return data
