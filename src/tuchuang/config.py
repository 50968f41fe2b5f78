"""Read the TUCHUANG_* environment once into one frozen Config; bad values fail at start."""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LEGACY_AUTH_POLICIES = ("session-ip", "session", "open")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def redact_url(url: str | None) -> str | None:
    """Return `url` with any password replaced, for repr, logs and messages."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


@dataclasses.dataclass(frozen=True)
class Config:
    data_dir: Path = Path("tuchuang-data")
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "tuchuang:"
    blob_store: str = "local"
    store_path: Path | None = None
    # FastDFS: further store paths mounted on this host, "group2/M00=/srv/fdfs2,group1/M01=/srv/b"
    # (for fsck's scan of every group; TUCHUANG_STORE_PATH is group1/M00)
    store_paths: tuple[str, ...] = ()
    spool_dir: Path | None = None
    thumb_dir: Path | None = None
    max_upload_bytes: int = 1025 << 20  # a 1 GiB file and its upload envelope
    uploads_per_addr: int = 4  # uploads one client address may run at once (per worker)
    spool_min_free: int = 512 << 20  # an upload that would leave less free space is refused
    public_url: str | None = None
    session_ttl: int = 86400
    session_cache_seconds: float = 5.0
    legacy_auth: str = "session-ip"
    instant_upload: bool = True
    trusted_proxies: tuple[str, ...] = ()  # none: the embedded server has no proxy in front
    proxy_spool_dir: Path | None = None
    fdfs_trackers: tuple[str, ...] = ()
    fdfs_client_conf: Path | None = None
    fdfs_connect_timeout: float = 2.0
    fdfs_timeout: float = 30.0
    fdfs_retry_seconds: float = 15.0  # an upload that could not start waits this long for a storage
    workers: int = 2
    graceful_timeout: int = 30  # seconds in-flight uploads get when the server is stopped
    threads: int = 8
    db_pool_size: int = 8
    login_max_failures: int = 5
    login_max_failures_per_addr: int = 30
    registrations_per_addr: int = 20  # per hour
    hash_threads: int = 1  # per worker process
    hash_queue: int = 2  # password checks waiting per worker (keep well below THREADS) before more are refused
    hash_share: float = 0.5  # of one core, at most, for each worker's password hashing
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    log_level: str = "INFO"
    log_format: str = "text"  # or json: one JSON object per line
    read_cache: bool = True  # exact caches of counts and list pages in Redis (cache/reads.py)
    metrics_dir: Path | None = None  # the workers' metric files (default <data dir>/metrics)
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")  # who may read /metrics (never through nginx)

    def __repr__(self) -> str:
        fields = dataclasses.asdict(self)
        fields["database_url"] = redact_url(self.database_url)
        fields["redis_url"] = redact_url(self.redis_url)
        inner = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"Config({inner})"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'tuchuang.db').resolve()}"

    @property
    def mounted_store_paths(self) -> dict[str, Path]:
        """TUCHUANG_STORE_PATHS as {"group2/M00": Path(...)}."""
        return {prefix: Path(path) for prefix, _, path in (e.partition("=") for e in self.store_paths)}

    @property
    def effective_store_path(self) -> Path:
        return self.store_path or self.data_dir / "storage"

    @property
    def effective_thumb_dir(self) -> Path:
        return self.thumb_dir or self.data_dir / "thumbs"

    @property
    def effective_metrics_dir(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"

    @property
    def effective_spool_dir(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    def is_trusted_proxy(self, addr: str | None) -> bool:
        """Whether `addr` is one of TUCHUANG_TRUSTED_PROXIES (addresses or networks)."""
        if not addr:
            return False
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in network for network in self._proxy_networks)

    @functools.cached_property
    def _proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Build a Config from TUCHUANG_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = "TUCHUANG_" + field.name.upper()
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            try:
                values[field.name] = _PARSERS[field.name](raw)
            except (ValueError, KeyError) as exc:
                raise ConfigError(f"{name}: {exc}") from None
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Raise ConfigError naming the variable of the first invalid setting."""
        checks: list[tuple[str, bool, str]] = [
            ("PORT", 0 < self.port < 65536, "must be 1-65535"),
            ("LEGACY_AUTH", self.legacy_auth in LEGACY_AUTH_POLICIES, "session-ip|session|open"),
            ("BLOB_STORE", self.blob_store in ("local", "fastdfs"), "must be local or fastdfs"),
            ("MAX_UPLOAD_BYTES", self.max_upload_bytes > 0, "must be positive"),
            ("UPLOADS_PER_ADDR", self.uploads_per_addr > 0, "must be positive"),
            ("SPOOL_MIN_FREE", self.spool_min_free >= 0, "must be 0 or more"),
            ("SESSION_TTL", self.session_ttl > 0, "must be positive"),
            ("SESSION_CACHE_SECONDS", 0 <= self.session_cache_seconds <= 60, "must be 0-60"),
            ("WORKERS", self.workers > 0, "must be positive"),
            ("GRACEFUL_TIMEOUT", 1 <= self.graceful_timeout <= 3600, "must be 1-3600"),
            ("THREADS", self.threads > 0, "must be positive"),
            ("DB_POOL_SIZE", self.db_pool_size > 0, "must be positive"),
            ("LOGIN_MAX_FAILURES", self.login_max_failures > 0, "must be positive"),
            ("LOGIN_MAX_FAILURES_PER_ADDR", self.login_max_failures_per_addr > 0, "must be positive"),
            ("REGISTRATIONS_PER_ADDR", self.registrations_per_addr > 0, "must be positive"),
            ("HASH_THREADS", self.hash_threads > 0, "must be positive"),
            ("HASH_QUEUE", self.hash_queue > 0, "must be positive"),
            ("HASH_SHARE", 0 < self.hash_share <= 1, "must be more than 0 and at most 1"),
            ("FDFS_CONNECT_TIMEOUT", self.fdfs_connect_timeout > 0, "must be positive"),
            ("FDFS_TIMEOUT", self.fdfs_timeout > 0, "must be positive"),
            ("FDFS_RETRY_SECONDS", 0 <= self.fdfs_retry_seconds <= 60, "must be 0-60"),
            ("ARGON2_TIME_COST", 1 <= self.argon2_time_cost <= 20, "must be 1-20"),
            ("ARGON2_MEMORY_KIB", 8 <= self.argon2_memory_kib <= 4 << 20, "must be 8-4194304 (KiB)"),
            ("LOG_LEVEL", self.log_level in LOG_LEVELS, "must be one of " + ", ".join(LOG_LEVELS)),
            ("LOG_FORMAT", self.log_format in ("text", "json"), "must be text or json"),
            (
                "FDFS_CLIENT_CONF",
                self.fdfs_client_conf is None or self.fdfs_client_conf.is_file(),
                f"no such file: {self.fdfs_client_conf}",
            ),
            (
                "FDFS_TRACKERS",
                self.blob_store != "fastdfs" or bool(self.fdfs_trackers or self.fdfs_client_conf),
                "required (or TUCHUANG_FDFS_CLIENT_CONF) when TUCHUANG_BLOB_STORE=fastdfs",
            ),
        ]
        for name, ok, why in checks:
            if not ok:
                raise ConfigError(f"TUCHUANG_{name}: {why}")
        scheme = urlsplit(self.effective_database_url).scheme
        if scheme not in ("sqlite", "mysql", "mysql+pymysql"):
            raise ConfigError("TUCHUANG_DATABASE_URL: scheme must be sqlite:// or mysql://")
        if self.redis_url and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("TUCHUANG_REDIS_URL: scheme must be redis://, rediss:// or unix://")
        if self.redis_url and urlsplit(self.redis_url).scheme != "unix":
            path = urlsplit(self.redis_url).path
            if not re.fullmatch(r"/?(\d+)?", path):
                raise ConfigError(
                    f"TUCHUANG_REDIS_URL: the database must be a number (redis://host:6379/0), got {path!r}"
                )
        for entry in self.store_paths:
            prefix, sep, path = entry.partition("=")
            if not (sep and re.fullmatch(r"group[0-9]{1,2}/M[0-9A-F]{2}", prefix) and path.startswith("/")):
                raise ConfigError(f"TUCHUANG_STORE_PATHS: expected group<N>/M<nn>=/absolute/path, got {entry!r}")
        for allowed in self.metrics_allow:
            try:
                ipaddress.ip_network(allowed, strict=False)
            except ValueError:
                raise ConfigError(f"TUCHUANG_METRICS_ALLOW: not an address or network: {allowed!r}") from None
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(f"TUCHUANG_TRUSTED_PROXIES: not an address or network: {proxy!r}") from None
        for tracker in self.fdfs_trackers:
            host, sep, port = tracker.rpartition(":")
            if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
                raise ConfigError(f"TUCHUANG_FDFS_TRACKERS: expected host:port, got {tracker!r}")
        if self.public_url and urlsplit(self.public_url).scheme not in ("http", "https"):
            raise ConfigError("TUCHUANG_PUBLIC_URL: must start with http:// or https://")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"not a whole number: {raw!r}") from None


def _float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError(f"not a number: {raw!r}") from None


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "on", "true", "yes"):
        return True
    if lowered in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"not a boolean: {raw!r} (use on/off)")


def _size(raw: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    raw = raw.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        if raw and raw[-1] in units:
            return int(raw[:-1]) * units[raw[-1]]
        return int(raw)
    except ValueError:
        raise ValueError(f"not a size: {raw!r} (bytes, or with k, m or g)") from None


def _addresses(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "data_dir": Path,
    "host": str,
    "port": _int,
    "database_url": str,
    "redis_url": str,
    "redis_prefix": str,
    "blob_store": str,
    "store_path": Path,
    "store_paths": _addresses,
    "spool_dir": Path,
    "thumb_dir": Path,
    "max_upload_bytes": _size,
    "uploads_per_addr": _int,
    "spool_min_free": _size,
    "public_url": lambda raw: raw.rstrip("/"),
    "session_ttl": _int,
    "session_cache_seconds": _float,
    "legacy_auth": str,
    "instant_upload": _bool,
    "trusted_proxies": _addresses,
    "proxy_spool_dir": Path,
    "fdfs_trackers": _addresses,
    "fdfs_client_conf": Path,
    "fdfs_connect_timeout": _float,
    "fdfs_timeout": _float,
    "fdfs_retry_seconds": _float,
    "workers": _int,
    "graceful_timeout": _int,
    "threads": _int,
    "db_pool_size": _int,
    "login_max_failures": _int,
    "login_max_failures_per_addr": _int,
    "registrations_per_addr": _int,
    "hash_threads": _int,
    "hash_queue": _int,
    "hash_share": _float,
    "argon2_time_cost": _int,
    "argon2_memory_kib": _int,
    "log_level": str.upper,
    "log_format": str.lower,
    "read_cache": _bool,
    "metrics_dir": Path,
    "metrics_allow": _addresses,
}
