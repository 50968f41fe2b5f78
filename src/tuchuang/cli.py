"""The `tuchuang` command: `serve` (the embedded server), `db upgrade|status`, `fsck`, `import` and
`front`. Every fault found at start ends in one line on stderr that names what to fix, and exit 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from tuchuang.config import Config, ConfigError, redact_url
from tuchuang.db import open_store
from tuchuang.db.migrations import pending, upgrade
from tuchuang.errors import DatabaseUnavailable, TuchuangError

log = logging.getLogger("tuchuang")


DESCRIPTION = (
    "tuchuang: a self-hosted cloud disk and picture host that speaks the 0voice protocol. "
    "Settings come from TUCHUANG_* environment variables (see the README)."
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tuchuang")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tuchuang", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tuchuang {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the server (SQLite + local store unless configured)")
    serve.add_argument("--host", help="listen address (TUCHUANG_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (TUCHUANG_PORT, default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (TUCHUANG_WORKERS)")
    serve.add_argument("--data-dir", help="data directory (TUCHUANG_DATA_DIR)")
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply pending schema files from sql/")
    db_sub.add_parser("status", help="list pending schema files")
    fsck = sub.add_parser("fsck", help="check database, blob store and ranking cache agree")
    fsck.add_argument("--repair", action="store_true", help="fix what can be fixed safely")
    fsck.add_argument(
        "--grace",
        type=int,
        default=3600,
        help="seconds an unreferenced blob is left alone (an upload may be in flight; default 3600)",
    )
    fsck.add_argument("--json", action="store_true", help="print the report as JSON")
    fsck.add_argument(
        "--forget-missing",
        action="store_true",
        help="remove the records of files whose stored content is lost (asks for confirmation)",
    )
    fsck.add_argument(
        "--max-missing-percent",
        type=float,
        default=5.0,
        help="--forget-missing refuses when more than this share of stored files is missing (default 5)",
    )
    fsck.add_argument("--yes", action="store_true", help="confirm --forget-missing without asking")
    imp = sub.add_parser(
        "import",
        help="bring an original 0voice deployment's database into this one (its files stay in FastDFS)",
        description="Read an original 0voice server's database (only read: nothing in it is written) and "
        "import its users, files, shares and picture links into the configured database. Run it again "
        "after an interruption: it finishes the job without duplicates.",
    )
    imp.add_argument("--from", dest="source", required=True, metavar="URL", help="mysql://user:password@host/db")
    imp.add_argument(
        "--dry-run", action="store_true", help="report what would be imported and every defect; write nothing"
    )
    imp.add_argument("--check-blobs", action="store_true", help="ask the blob store for every imported file")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.add_argument("--batch-size", type=int, default=500, help="rows per read and per transaction (default 500)")
    front = sub.add_parser("front", help="copy the web front's static files into a directory nginx serves")
    front.add_argument("directory", help="e.g. /var/lib/tuchuang/front (deploy/nginx/tuchuang.conf)")
    args = parser.parse_args(argv)
    if args.command == "front":  # needs no configuration
        return _front(args.directory)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"tuchuang: configuration error: {exc}", file=sys.stderr)
        return 2
    from tuchuang.logs import setup

    setup(config)
    try:
        if args.command == "db":
            return _db(args.db_command, config)
        if args.command == "fsck":
            return _fsck(config, args)
        if args.command == "import":
            return _import(config, args)
        return _serve(config)
    except StartError as exc:
        print(f"tuchuang {args.command}: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(
            f"tuchuang {args.command}: the database ({_shown_db(config)}) cannot be used: {_first_line(exc)}",
            file=sys.stderr,
        )
        return 2
    except TuchuangError as exc:
        print(f"tuchuang {args.command}: {_first_line(exc)}", file=sys.stderr)
        return 2


class StartError(Exception):
    """A fault found before starting: one line for the operator, naming what to fix."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _shown_db(config: Config) -> str:
    return redact_url(config.effective_database_url) or ""


def _import(config: Config, args: argparse.Namespace) -> int:
    """Exit 0: imported (defects, if any, are in the report). 2: refused or failed; nothing is lost."""
    import json

    from argon2 import PasswordHasher

    from tuchuang.imports.run import run_import

    if args.batch_size < 1:
        print("tuchuang import: --batch-size must be positive", file=sys.stderr)
        return 2
    _current_schema(config)
    hasher = PasswordHasher(time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib, parallelism=1)
    from tuchuang.app import build_blobs, build_ranking, build_reads, redis_client

    blobs = build_blobs(config) if args.check_blobs else None
    client = redis_client(config)
    try:
        report = run_import(
            args.source,
            config.effective_database_url,
            hasher.hash,
            dry_run=args.dry_run,
            blobs=blobs,
            ranking=build_ranking(config, client),
            reads=build_reads(config, client),
            batch_size=args.batch_size,
            hash_threads=max(1, os.cpu_count() or 1),
        )
    except TuchuangError as exc:
        print(f"tuchuang import: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
    return 0


def _front(directory: str) -> int:
    from pathlib import Path

    from tuchuang.web.front import export

    try:
        names = export(Path(directory))
    except OSError as exc:
        print(f"tuchuang front: cannot write {directory}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(names)} to {directory}")
    return 0


def _config(args: argparse.Namespace) -> Config:
    config = Config.from_env()
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "workers", "data_dir"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if "data_dir" in overrides:
        from pathlib import Path

        overrides["data_dir"] = Path(overrides["data_dir"])
    config = config.replace(**overrides)
    config.validate()
    return config


def _db(command: str, config: Config) -> int:
    store = open_store(config.effective_database_url, 1)
    try:
        if command == "status":
            names = [name for _, name, _ in pending(store)]
            print("pending: " + (", ".join(names) if names else "none"))
            return 0
        applied = upgrade(store)
        print("applied: " + (", ".join(applied) if applied else "nothing (schema is current)"))
        return 0
    finally:
        store.close()


def _fsck(config: Config, args: argparse.Namespace) -> int:
    """Exit 0: consistent. 1: inconsistencies found, all repaired. 2: some remain. 3: could not check."""
    from tuchuang.app import build_blobs, build_ranking, build_reads, redis_client
    from tuchuang.services.consistency import Fsck

    store = open_store(config.effective_database_url, 1)
    try:
        if pending(store):
            print("tuchuang fsck: the database schema is not current: run `tuchuang db upgrade`", file=sys.stderr)
            return 3
        client = redis_client(config)
        fsck = Fsck(
            store,
            build_blobs(config),
            build_ranking(config, client),
            args.grace,
            spool_dir=config.effective_spool_dir,
            reads=build_reads(config, client),
        )
        if args.forget_missing:
            return _forget_missing(fsck, args.max_missing_percent, args.yes)
        report = fsck.run(args.repair)
    except TuchuangError as exc:
        print(f"tuchuang fsck: cannot check: {exc}", file=sys.stderr)
        return 3
    finally:
        store.close()
    _print_report(report, args.json)
    if report.consistent:
        return 0
    return 2 if report.unresolved else 1


def _print_report(report: Any, as_json: bool) -> None:
    import json

    from tuchuang.services.consistency import MEANING

    if as_json:
        body = {
            "consistent": report.consistent,
            "findings": [f.as_dict() for f in report.findings],
            "unchecked": report.unchecked,
            "notes": report.notes,
        }
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for finding in report.findings:
        print(finding.line())
    kinds = sorted({f.kind for f in report.findings})
    if kinds:
        print("what the kinds mean:")
        for kind in kinds:
            print(f"  {kind}: {MEANING.get(kind, '')}")
    for line in report.unchecked:
        print(f"not checked: {line}")
    for line in report.notes:
        print(f"note: {line}")
    problems = report.problems
    left = len(report.unresolved)
    waiting = sum(1 for f in report.findings if f.in_grace)
    notices = sum(1 for f in report.findings if f.notice)
    print(
        f"{len(problems)} inconsistencies, {len(problems) - left} repaired, {left} left;"
        f" {waiting} in their grace period, {notices} notices"
    )


def _forget_missing(fsck: Any, max_percent: float, yes: bool) -> int:
    """The explicit, bounded and confirmed action for content whose blob is really lost."""
    total, missing = fsck.missing_content()
    if not missing:
        print("no stored file is missing: nothing to forget")
        return 0
    percent = 100.0 * len(missing) / total
    print(f"{len(missing)} of {total} stored files ({percent:.1f}%) are missing from the blob store:")
    for md5, file_id in missing:
        print(f"  {md5} {file_id}")
    if percent > max_percent:
        print(
            f"tuchuang fsck: refusing: more than {max_percent:g}% of stored files are missing. Check that the store "
            "is mounted and TUCHUANG_STORE_PATH is right; raise --max-missing-percent only if the content is "
            "really lost.",
            file=sys.stderr,
        )
        return 3
    if not yes:
        if not sys.stdin.isatty():
            print("tuchuang fsck: refusing without confirmation: add --yes", file=sys.stderr)
            return 3
        answer = input(f"Type 'forget {len(missing)}' to remove these files from every user's list: ")
        if answer.strip() != f"forget {len(missing)}":
            print("nothing was changed")
            return 3
    forgotten = fsck.forget_missing(missing)
    print(f"forgot {forgotten} lost file(s) and every user file and share of them")
    return 1 if forgotten else 0


def _preflight(config: Config) -> None:
    """What would make the server fail as it starts (or each worker fail as it boots), found first
    and named in one line: the data directory, the listening address, the blob store's settings."""
    import errno
    import socket
    import tempfile

    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=config.data_dir):
            pass
    except OSError as exc:
        raise StartError(f"TUCHUANG_DATA_DIR: cannot write in {config.data_dir}: {exc.strerror or exc}") from None
    try:
        infos = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise StartError(f"TUCHUANG_HOST: cannot listen on {config.host!r}: {exc.strerror or exc}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            why = "is in use by another program" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
            raise StartError(f"{config.host}:{config.port} {why} (TUCHUANG_HOST, TUCHUANG_PORT / --port)") from None
    if config.blob_store == "fastdfs":
        from tuchuang.app import fastdfs_client

        try:
            fastdfs_client(config)
        except (OSError, ValueError) as exc:
            raise StartError(f"TUCHUANG_FDFS_CLIENT_CONF / TUCHUANG_FDFS_TRACKERS: {exc}") from None


def _current_schema(config: Config) -> None:
    """SQLite (the embedded default) keeps its own schema current; MySQL's is upgraded by the
    operator (`tuchuang db upgrade`), and a command refuses to run on an outdated one."""
    store = open_store(config.effective_database_url, 1)
    try:
        if store.dialect == "sqlite":
            for name in upgrade(store):
                log.info("applied schema %s", name)
        elif pending(store):
            raise StartError("the database schema is not current: run 'tuchuang db upgrade' first")
    finally:
        store.close()


def _serve(config: Config) -> int:
    _preflight(config)
    _current_schema(config)
    from tuchuang.server import run

    run(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
