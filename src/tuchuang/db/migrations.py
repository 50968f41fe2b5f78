"""Apply the numbered schema files of `sql/<dialect>/` in order, once each."""

from __future__ import annotations

import datetime as dt
import logging
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from tuchuang.db import MetadataStore

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
CREATE_VERSIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
    " applied_at VARCHAR(19) NOT NULL)"
)
SELECT_VERSIONS = "SELECT version FROM schema_migrations"
INSERT_VERSION = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)"


def _schema_root() -> Traversable:
    try:
        return resources.files("tuchuang.schema")
    except ModuleNotFoundError:
        # An editable install maps only src/; the schema files then sit in the checkout's sql/.
        return Path(__file__).resolve().parents[3] / "sql"


def schema_files(dialect: str) -> list[tuple[int, str, str]]:
    """Return (version, name, text) of every schema file for `dialect`, by version."""
    folder = _schema_root().joinpath(dialect)
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def applied_versions(store: MetadataStore) -> set[int]:
    with store.transaction() as tx:
        tx.execute(CREATE_VERSIONS)
        return {int(row[0]) for row in tx.execute(SELECT_VERSIONS).fetchall()}


def pending(store: MetadataStore) -> list[tuple[int, str, str]]:
    done = applied_versions(store)
    return [f for f in schema_files(store.dialect) if f[0] not in done]


def upgrade(store: MetadataStore) -> list[str]:
    """Apply every pending schema file; return the names applied."""
    applied = []
    for version, name, text in pending(store):
        log.info("applying schema %s", name)
        store.apply_script(text)
        with store.transaction() as tx:
            now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            tx.execute(INSERT_VERSION, version, name, now)
        applied.append(name)
    return applied
