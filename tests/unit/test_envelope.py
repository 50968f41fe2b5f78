"""The upload envelope parser over a spool file: three shapes and their defects (D9, §5)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tuchuang.upload.envelope import MalformedEnvelope, parse_envelope, verify_payload

QT_B = "------WebKitFormBoundary05:?<>[\\]^_DINSX"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def qt_body(content: bytes, boundary: str = QT_B, sep: str = " ", md5_: str | None = None, size: int | None = None,
            name: str = "a b.txt", tail: bytes = b"") -> bytes:  # fmt: skip
    params = sep.join(
        [
            'user="kevin"',
            f'filename="{name}"',
            f'md5="{md5_ or md5(content)}"',
            f"size={size if size is not None else len(content)}",
        ]
    )
    head = f"{boundary}\r\nContent-Disposition: form-data; {params}\r\nContent-Type: application/octet-stream\r\n\r\n"
    return head.encode() + content + b"\r\n" + boundary.encode() + tail


def multipart(content: bytes, fields_first: bool = False, size: int | None = None, md5_: str | None = None,
              boundary: str = "----WebKitFormBoundaryABCDEFGH") -> bytes:  # fmt: skip
    b = boundary.encode()
    file_part = (b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="pic.png"\r\n'
                 b"Content-Type: image/png\r\n\r\n" + content + b"\r\n")  # fmt: skip
    fields = b""
    for key, value in (
        ("user", "kevin"),
        ("md5", md5_ or md5(content)),
        ("size", str(size if size is not None else len(content))),
        ("token", "t" * 32),
    ):
        fields += b"--" + b + f'\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    parts = fields + file_part if fields_first else file_part + fields
    return parts + b"--" + b + b"--\r\n"


def parse(tmp_path: Path, body: bytes):
    path = tmp_path / "body"
    path.write_bytes(body)
    env = parse_envelope(path)
    verify_payload(path, env)
    return env, body[env.offset : env.offset + env.length]


CONTENTS = [
    b"hello",
    b"",
    b"ends with crlf\r\n",
    b"ends with a fake boundary\r\n" + QT_B.encode(),
    b"has the boundary\r\n" + QT_B.encode() + b"\r\nin the middle",
    b"ends with dashes\r\n" + QT_B.encode() + b"--",
    bytes(range(256)) * 50,
]


@pytest.mark.parametrize("content", CONTENTS, ids=range(len(CONTENTS)))
def test_qt_shape(tmp_path, content):
    env, payload = parse(tmp_path, qt_body(content))
    assert payload == content
    assert (env.user, env.filename, env.md5, env.size, env.shape) == (
        "kevin",
        "a b.txt",
        md5(content),
        len(content),
        "qt",
    )


@pytest.mark.parametrize("content", CONTENTS, ids=range(len(CONTENTS)))
def test_document_shape_semicolons_and_five_dashes(tmp_path, content):
    env, payload = parse(tmp_path, qt_body(content, boundary="-----WebKitFormBoundarynHRBTfOUv<p3Tewg", sep="; "))
    assert payload == content and env.filename == "a b.txt"


@pytest.mark.parametrize("tail", [b"--", b"\r\n", b"--\r\n"])
def test_qt_shape_tolerates_closing_dashes_and_crlf(tmp_path, tail):
    _, payload = parse(tmp_path, qt_body(b"data", tail=tail))
    assert payload == b"data"


def test_qt_shape_trailing_garbage_after_declared_size(tmp_path):
    _, payload = parse(tmp_path, qt_body(b"data", tail=b"\r\nsomething else"))
    assert payload == b"data"


def test_utf8_name_and_filename_is_not_name(tmp_path):
    env, _ = parse(tmp_path, qt_body(b"x", name="中文 名.txt"))
    assert env.filename == "中文 名.txt" and env.shape == "qt"  # `filename=` never counts as `name=`


@pytest.mark.parametrize("content", CONTENTS, ids=range(len(CONTENTS)))
@pytest.mark.parametrize("fields_first", [False, True])
def test_multipart_shape(tmp_path, content, fields_first):
    env, payload = parse(tmp_path, multipart(content, fields_first=fields_first))
    assert payload == content
    assert (env.user, env.filename, env.shape, env.token) == ("kevin", "pic.png", "multipart", "t" * 32)


def test_multipart_payload_holding_its_boundary_without_crlf(tmp_path):
    content = b"----WebKitFormBoundaryABCDEFGH--" * 3
    _, payload = parse(tmp_path, multipart(content))
    assert payload == content


@pytest.mark.parametrize("cut", [3, 5, 20, 60])  # cutting only the final LF leaves a whole body
def test_truncated_bodies(tmp_path, cut):
    for body in (qt_body(b"0123456789" * 10), multipart(b"0123456789" * 10)):
        path = tmp_path / "body"
        path.write_bytes(body[:-cut])
        with pytest.raises(MalformedEnvelope):
            verify_payload(path, parse_envelope(path))


@pytest.mark.parametrize("drop", ['user="kevin"', 'filename="a b.txt"', "md5=", "size="])
def test_missing_fields(tmp_path, drop):
    body = qt_body(b"data")
    head, rest = body.split(b"\r\n", 2)[1], body
    line = head.decode()
    victim = next(p for p in line.split(" ") if p.startswith(drop.split("=")[0] + "="))
    path = tmp_path / "body"
    path.write_bytes(rest.replace(victim.encode(), b"", 1))
    with pytest.raises(MalformedEnvelope):
        parse_envelope(path)


def test_multipart_missing_file_part_or_field(tmp_path):
    no_md5 = multipart(b"data").replace(b'name="md5"', b'name="other"')
    no_file = multipart(b"data").replace(b'name="file"; filename="pic.png"', b'name="file"')
    for body in (no_md5, no_file):
        path = tmp_path / "body"
        path.write_bytes(body)
        with pytest.raises(MalformedEnvelope):
            parse_envelope(path)


@pytest.mark.parametrize("body", [
    qt_body(b"data", md5_="0" * 32), qt_body(b"data", size=3), qt_body(b"data", size=5), qt_body(b"data", size=999),
    multipart(b"data", md5_="f" * 32), multipart(b"data", size=3),
])  # fmt: skip
def test_declared_md5_or_size_mismatch(tmp_path, body):
    path = tmp_path / "body"
    path.write_bytes(body)
    with pytest.raises(MalformedEnvelope):
        verify_payload(path, parse_envelope(path))


@pytest.mark.parametrize("body", [b"", b"x", b"no crlf at all", b" spaced boundary\r\n\r\n", b"--B\r\n" + b"h" * 70000,
                                  b'--B\r\nContent-Disposition: form-data; user="u" filename="f" md5="zz" size=1\r\n\r\nx\r\n--B',
                                  b'--B\r\nContent-Disposition: form-data; user="u" filename="f" md5="' + b"a" * 32 + b'" size=x\r\n\r\nx\r\n--B'])  # fmt: skip
def test_garbage(tmp_path, body):
    path = tmp_path / "body"
    path.write_bytes(body)
    with pytest.raises(MalformedEnvelope):
        parse_envelope(path)
