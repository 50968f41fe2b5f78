"""Fixtures: each functional test runs on SQLite + SQL sessions and on MariaDB + Redis.

The MariaDB + Redis tier runs when TUCHUANG_TEST_MYSQL_URL and TUCHUANG_TEST_REDIS_URL are
set (`.ci/run` sets them) and is skipped with a visible reason when they are not.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest
import redis
from argon2 import PasswordHasher

from tuchuang.app import Services, build_services, create_app
from tuchuang.config import Config
from tuchuang.db import open_store
from tuchuang.db.migrations import upgrade
from tuchuang.db.mysql import connect_args

MYSQL_URL = os.environ.get("TUCHUANG_TEST_MYSQL_URL")
REDIS_URL = os.environ.get("TUCHUANG_TEST_REDIS_URL")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TABLES = (
    "user_info",
    "file_info",
    "user_file_list",
    "share_file_list",
    "share_picture_list",
    "sessions",
    "login_failures",
    "blob_intents",
)


def _admin(url: str) -> pymysql.connections.Connection:
    args = connect_args(url)
    args["database"] = None
    return pymysql.connect(**args)


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A fresh database on the test server, schema applied, dropped at the end."""
    if not MYSQL_URL:
        pytest.skip("MySQL tier skipped: TUCHUANG_TEST_MYSQL_URL is not set")
    name = f"tuchuang_test_{uuid.uuid4().hex[:10]}"
    admin = _admin(MYSQL_URL)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    parts = urlsplit(MYSQL_URL)
    url = urlunsplit(parts._replace(path="/" + name))
    store = open_store(url)
    upgrade(store)
    store.close()
    yield url
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")
    admin.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis tier skipped: TUCHUANG_TEST_REDIS_URL is not set")
    return REDIS_URL


def clean_mysql(url: str) -> None:
    conn = pymysql.connect(**connect_args(url))
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DELETE FROM {table}")
    conn.close()


def clean_redis(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "mysql+redis"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Config]:
    """The configuration of one backend tier, on fresh data."""
    base = Config(data_dir=tmp_path / "data", legacy_auth="session-ip")
    if request.param == "sqlite":
        config = base
        store = open_store(config.effective_database_url)
        upgrade(store)
        store.close()
        yield config
        return
    url = request.getfixturevalue("mysql_url")
    rurl = request.getfixturevalue("redis_url")
    prefix = f"tuchuang-test:{uuid.uuid4().hex[:8]}:"
    clean_mysql(url)
    yield base.replace(database_url=url, redis_url=rurl, redis_prefix=prefix)
    clean_redis(rurl, prefix)


@pytest.fixture
def services(config: Config) -> Iterator[Services]:
    built = build_services(config, hasher=FAST_HASHER)
    yield built
    built.store.close()


@pytest.fixture
def app(config: Config, services: Services):  # noqa: ANN201
    from tests.client import Client

    return Client(create_app(config, services))


@pytest.fixture(params=["legacy", "api"])
def dialect(request: pytest.FixtureRequest):  # noqa: ANN201
    from tests.client import Dialect

    return Dialect(request.param)
