"""What the deployment files promise, checked without running them (issue 16, items 6 and 9)."""

from __future__ import annotations

from pathlib import Path

import pymysql._auth
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[2]


def test_mysql_8s_default_login_works_without_tls() -> None:
    """MySQL 8.4 signs users in with caching_sha2_password; without TLS, PyMySQL sends the password
    RSA-encrypted, which needs `cryptography` (PyMySQL[rsa]): installed and locked."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    salt = bytes(range(20))
    sent = pymysql._auth.sha2_rsa_encrypt(b"secret", salt, pem)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    assert key.decrypt(sent, oaep) == bytes(a ^ b for a, b in zip(b"secret\0", salt * 2, strict=False))
    locked = (ROOT / "requirements" / "app.txt").read_text().splitlines()
    assert any(line.startswith("cryptography==") for line in locked)


def test_the_env_file_stays_out_of_git_and_images() -> None:
    """The compose .env holds the database password."""
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def test_every_image_install_uses_the_lock_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line.strip() for line in dockerfile.splitlines() if "pip install" in line]
    assert installs == [
        "RUN pip install -r requirements/app.txt",
        "RUN pip install --no-deps .",
        "RUN pip install -r requirements/test.txt",
    ]
