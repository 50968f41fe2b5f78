"""Hypothesis on the upload envelope parser: well-formed bodies of any content round-trip exactly;
any other bytes end in MalformedEnvelope (never another exception, never a range outside the file)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.unit.test_envelope import multipart, qt_body
from tuchuang.upload.envelope import MalformedEnvelope, parse_envelope, verify_payload

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOUNDARY_CHARS = st.characters(min_codepoint=33, max_codepoint=126)
# File names as the Qt envelope can carry them: no '"', no CR/LF (the quoting has no escapes).
NAMES = st.text(st.characters(blacklist_characters='"\r\n', blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)


def write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="envelope-", delete=False)
    with handle:
        handle.write(data)
    return Path(handle.name)


def payload_of(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


@SETTINGS
@given(
    content=st.binary(max_size=5000),
    boundary=st.text(BOUNDARY_CHARS, min_size=8, max_size=70).map(lambda b: "--" + b),
    name=NAMES,
    sep=st.sampled_from([" ", "; ", ";"]),
)
@example(content=b"\r\n------WebKitFormBoundary\r\n", boundary="------WebKitFormBoundary", name="a", sep=" ")
def test_qt_and_document_shapes_round_trip(content: bytes, boundary: str, name: str, sep: str) -> None:
    path = write(qt_body(content, boundary=boundary, sep=sep, name=name))
    try:
        env = parse_envelope(path)
        assert (env.user, env.filename, env.size) == ("kevin", name, len(content))
        assert env.md5 == hashlib.md5(content).hexdigest()
        assert payload_of(path, env.offset, env.length) == content
        verify_payload(path, env)
    finally:
        path.unlink()


@SETTINGS
@given(content=st.binary(max_size=5000), fields_first=st.booleans())
def test_multipart_round_trips(content: bytes, fields_first: bool) -> None:
    path = write(multipart(content, fields_first=fields_first))
    try:
        env = parse_envelope(path)
        assert payload_of(path, env.offset, env.length) == content
        verify_payload(path, env)
    finally:
        path.unlink()


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    path = write(data)
    try:
        env = parse_envelope(path)
    except MalformedEnvelope:
        return
    else:
        assert 0 <= env.offset and env.offset + env.length <= len(data)
        try:
            verify_payload(path, env)
        except MalformedEnvelope:
            pass
    finally:
        path.unlink()


@SETTINGS
@given(
    content=st.binary(min_size=1, max_size=2000),
    cut=st.integers(min_value=0, max_value=4000),
    flip=st.integers(min_value=0, max_value=4000),
    byte=st.integers(min_value=0, max_value=255),
)
def test_damaged_bodies_are_refused_or_exact(content: bytes, cut: int, flip: int, byte: int) -> None:
    """Truncated or corrupted bodies: refused, or (if the damage missed everything that matters)
    the payload verifies against the declared md5 and size — never a silently wrong file."""
    body = bytearray(qt_body(content))
    if flip < len(body):
        body[flip] = byte
    damaged = bytes(body[: len(body) - (cut % len(body))])
    path = write(damaged)
    try:
        try:
            env = parse_envelope(path)
            verify_payload(path, env)
        except MalformedEnvelope:
            return
        stored = payload_of(path, env.offset, env.length)
        assert hashlib.md5(stored).hexdigest() == env.md5.lower() and len(stored) == env.size
    finally:
        path.unlink()
