"""Composition root: build adapters and services from a Config, then mount both dialects."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import falcon
import redis
from argon2 import PasswordHasher

from tuchuang import metrics
from tuchuang.blobs import BlobStore
from tuchuang.blobs.fastdfs import FastDFSBlobStore, FastDFSClient, parse_address, trackers_from_client_conf
from tuchuang.blobs.local import LocalBlobStore
from tuchuang.cache import NoRankingCache, RankingCache
from tuchuang.cache.reads import NoReadCache, ReadCache, RedisReadCache
from tuchuang.cache.redis import RedisRankingCache
from tuchuang.config import Config
from tuchuang.db import MetadataStore, open_store
from tuchuang.protocol import api, core, legacy, sharing
from tuchuang.protocol.downloads import StoredFile
from tuchuang.protocol.endpoint import Endpoint, ReadableEndpoint
from tuchuang.protocol.openapi import OpenApiDocument
from tuchuang.services.accounts import Accounts
from tuchuang.services.auth import Auth
from tuchuang.services.clock import Clock
from tuchuang.services.files import Files
from tuchuang.services.hashing import PasswordWork
from tuchuang.services.pictures import Pictures
from tuchuang.services.sharing import Sharing
from tuchuang.services.throttle import FailureStore, LoginThrottle, RegistrationLimit, ThrottlePolicy
from tuchuang.services.thumbnails import Thumbnails
from tuchuang.services.uploads import Uploads
from tuchuang.sessions import SessionStore
from tuchuang.sessions.cache import CachedSessions
from tuchuang.sessions.redis import RedisFailureStore, RedisSessionStore
from tuchuang.sessions.sql import SqlFailureStore, SqlSessionStore
from tuchuang.web.front import FrontAsset, FrontPage
from tuchuang.web.health import Live, Ready
from tuchuang.web.previews import Preview
from tuchuang.web.request_id import RequestIds
from tuchuang.web.share_page import SharePage
from tuchuang.web.upload_gate import UploadGate


@dataclass
class Services:
    accounts: Accounts
    auth: Auth
    files: Files
    uploads: Uploads
    sharing: Sharing
    pictures: Pictures
    store: MetadataStore
    blobs: BlobStore
    sessions: SessionStore


def new_token() -> str:
    return secrets.token_hex(16)


def build_blobs(config: Config) -> BlobStore:
    if config.blob_store == "fastdfs":
        return FastDFSBlobStore(fastdfs_client(config), config.store_path, config.mounted_store_paths)
    return LocalBlobStore(config.effective_store_path)


def fastdfs_client(config: Config) -> FastDFSClient:
    trackers = [parse_address(t) for t in config.fdfs_trackers]
    if config.fdfs_client_conf is not None:
        trackers += trackers_from_client_conf(config.fdfs_client_conf)
    return FastDFSClient(trackers, config.fdfs_connect_timeout, config.fdfs_timeout, config.fdfs_retry_seconds)


def redis_client(config: Config) -> redis.Redis | None:
    """The process's one Redis client (and connection pool), shared by sessions, the login
    throttle and the ranking cache; redis-py resets its pool after fork. None without Redis."""
    if not config.redis_url:
        return None
    return redis.Redis.from_url(config.redis_url, socket_timeout=5, socket_connect_timeout=5)


def build_sessions(config: Config, store: MetadataStore, client: redis.Redis | None) -> SessionStore:
    sessions: SessionStore
    if client is not None:
        sessions = RedisSessionStore(client, config.redis_prefix)
    else:
        sessions = SqlSessionStore(store)
    if config.session_cache_seconds > 0:
        return CachedSessions(sessions, config.session_cache_seconds)
    return sessions


def build_failures(config: Config, store: MetadataStore, client: redis.Redis | None) -> FailureStore:
    if client is not None:
        return RedisFailureStore(client, config.redis_prefix)
    return SqlFailureStore(store)


def build_reads(config: Config, client: redis.Redis | None) -> ReadCache:
    """The exact cache of the hot reads (cache/reads.py); none without Redis."""
    if client is not None and config.read_cache:
        return RedisReadCache(client, config.redis_prefix)
    return NoReadCache()


def build_ranking(config: Config, client: redis.Redis | None) -> RankingCache:
    if client is not None:
        return RedisRankingCache(client, config.redis_prefix)
    return NoRankingCache()


def build_services(
    config: Config,
    *,
    store: MetadataStore | None = None,
    blobs: BlobStore | None = None,
    sessions: SessionStore | None = None,
    ranking: RankingCache | None = None,
    clock: Clock = time.time,
    token_factory: Any = new_token,
    hasher: PasswordHasher | None = None,
    failures: FailureStore | None = None,
) -> Services:
    """Wire the services; any collaborator may be passed in (tests inject fakes and clocks)."""
    store = store or open_store(config.effective_database_url, config.db_pool_size)
    blobs = blobs or build_blobs(config)
    client = redis_client(config)  # connects lazily: unused when every Redis adapter is passed in
    sessions = sessions or build_sessions(config, store, client)
    ranking = ranking or build_ranking(config, client)
    hasher = hasher or PasswordHasher(
        time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib, parallelism=1
    )
    auth = Auth(sessions, clock, config.legacy_auth)
    failures = failures or build_failures(config, store, client)
    throttle = LoginThrottle(
        failures,
        ThrottlePolicy(per_user=config.login_max_failures, per_addr=config.login_max_failures_per_addr),
    )
    passwords = PasswordWork(hasher, config.hash_threads, config.hash_queue, config.hash_share)
    registrations = RegistrationLimit(failures, config.registrations_per_addr)
    accounts = Accounts(store, sessions, passwords, clock, token_factory, config.session_ttl, throttle, registrations)
    reads = build_reads(config, client)
    files = Files(store, blobs, clock, config.instant_upload, ranking, reads)
    sharing_ = Sharing(store, clock, ranking, reads)
    pictures = Pictures(store, clock, token_factory)
    return Services(
        accounts, auth, files, Uploads(auth, files, config.uploads_per_addr), sharing_, pictures, store, blobs, sessions
    )


def create_app(config: Config, services: Services | None = None, **collaborators: Any) -> falcon.App:
    """The WSGI app for `config`; pass `services` or collaborators to replace adapters."""
    services = services or build_services(config, **collaborators)
    middleware: list[Any] = [RequestIds(), metrics.Timing()]
    app = falcon.App(middleware=middleware)
    for prefix, dialect in (("", legacy), ("/api", api)):
        for path, resource in endpoints(dialect, services, config).items():
            app.add_route(f"{prefix}/{path}", resource)
    for path, resource in api_only(services, config).items():
        app.add_route(f"/api/{path}", resource)
    share_page = SharePage(services, config)
    app.add_route("/share", share_page)
    app.add_route("/api/share", share_page)
    app.add_route("/{group}/M{store}/{d1}/{d2}/{name}", StoredFile(services.blobs))  # any group, store path
    app.add_route(
        "/api/thumb/{group}/M{store}/{d1}/{d2}/{name}", Preview(Thumbnails(services.blobs, config.effective_thumb_dir))
    )
    app.add_route("/api/openapi.json", OpenApiDocument())
    app.add_route("/internal/upload-allowed", UploadGate(services, config))
    app.add_route("/", FrontPage())
    app.add_route("/static/{name}", FrontAsset())
    app.add_route("/metrics", metrics.MetricsPage(config.metrics_allow, config.is_trusted_proxy))
    app.add_route("/healthz", Live())
    app.add_route("/readyz", Ready(services))
    return app


def endpoints(dialect: ModuleType, services: Services, config: Config) -> dict[str, Endpoint]:
    def ep(name: str, readable: bool = False, **kw: Any) -> Endpoint:
        cls = ReadableEndpoint if readable else Endpoint
        return cls(name, dialect, services, config, **kw)

    return {
        "reg": ep("reg", handler=core.reg),
        "login": ep("login", handler=core.login),
        "md5": ep("md5", handler=core.md5),
        "upload": ep("upload", handler=core.upload),
        "myfiles": ep(
            "myfiles",
            commands={
                "count": ("count", core.myfiles_count),
                "normal": ("list", core.myfiles_list("normal")),
                "pvasc": ("list", core.myfiles_list("pvasc")),
                "pvdesc": ("list", core.myfiles_list("pvdesc")),
            },
        ),
        "dealfile": ep(
            "dealfile",
            before=core.dealfile_token,
            commands={
                "share": ("share", sharing.dealfile_share),
                "del": ("del", core.dealfile_del),
                "pv": ("pv", core.dealfile_pv),
            },
        ),
        "sharefiles": ep(
            "sharefiles",
            readable=True,
            commands={
                "count": ("count", sharing.sharefiles_count),
                "normal": ("list", sharing.sharefiles_list),
                "pvdesc": ("ranking", sharing.sharefiles_ranking),
            },
        ),
        "dealsharefile": ep(
            "dealsharefile",
            commands={
                "cancel": ("cancel", sharing.dealsharefile_cancel),
                "save": ("save", sharing.dealsharefile_save),
                "pv": ("pv", sharing.dealsharefile_pv),
            },
        ),
    }


def api_only(services: Services, config: Config) -> dict[str, Endpoint]:
    """Endpoints of the /api dialect alone: picture sharing (PROTOCOL.md §4.16) and logout."""
    return {
        "sharepic": sharepic(services, config),
        "logout": Endpoint("logout", api, services, config, handler=core.logout),
    }


def sharepic(services: Services, config: Config) -> Endpoint:
    """Picture sharing exists in the /api dialect only (PROTOCOL.md §4.16)."""
    return Endpoint(
        "sharepic",
        api,
        services,
        config,
        commands={
            "share": ("share", sharing.sharepic_share),
            "normal": ("list", sharing.sharepic_normal),
            "cancel": ("cancel", sharing.sharepic_cancel),
            "browse": ("browse", sharing.sharepic_browse),
        },
    )
