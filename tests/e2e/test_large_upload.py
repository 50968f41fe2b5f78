"""A large body (100 MiB by default) through the nginx spool into the store, back byte-exact from nginx.

Streamed both ways: neither the test nor the server holds the file in memory.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator

from tests.client import QT_BOUNDARY, Dialect
from tests.e2e.conftest import new_user

MIB = 1 << 20
SIZE = int(os.environ.get("TUCHUANG_E2E_LARGE_MIB", "100")) * MIB


def blocks(seed: int, size: int) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes, 1 MiB at a time (so two passes give the same bytes)."""
    rng = random.Random(seed)
    left = size
    while left:
        block = rng.randbytes(min(MIB, left))
        left -= len(block)
        yield block


def test_large_upload_round_trip(web) -> None:
    d = Dialect("legacy")
    user, token = new_user(web, d, "big")
    seed = random.randrange(1 << 30)
    digest = hashlib.md5()
    for block in blocks(seed, SIZE):
        digest.update(block)
    md5 = digest.hexdigest()
    head = (
        f"{QT_BOUNDARY}\r\nContent-Disposition: form-data; "
        f'user="{user}" filename="big.bin" md5="{md5}" size={SIZE}\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = b"\r\n" + QT_BOUNDARY.encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from blocks(seed, SIZE)
        yield tail

    length = len(head) + SIZE + len(tail)
    reply = web.request("POST", "/upload", body(), {"Content-Type": "application/json", "Content-Length": str(length)})
    assert reply.status == 200 and reply.json == {"code": "008"}, reply.body[:200]

    files = web.call("/myfiles?cmd=normal", {"user": user, "token": token, "start": 0, "count": 10})["files"]
    [item] = files
    assert item["size"] == SIZE and item["md5"] == md5

    conn = web.connect()
    try:
        conn.request("GET", "/" + item["url"].split("/", 3)[3])
        resp = conn.getresponse()
        assert resp.status == 200 and resp.headers["Server"].startswith("nginx")
        assert int(resp.headers["Content-Length"]) == SIZE
        got = hashlib.md5()
        received = 0
        while chunk := resp.read(MIB):
            got.update(chunk)
            received += len(chunk)
    finally:
        conn.close()
    assert received == SIZE and got.hexdigest() == md5

    body_del = {"user": user, "token": token, "md5": md5, "filename": "big.bin"}
    assert web.call("/dealfile?cmd=del", body_del) == {"code": "013"}
