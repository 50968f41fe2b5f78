"""`tuchuang import --from URL`: an original deployment's users, files, shares and picture links
into tuchuang's database (issue 12). The source is only read. Blobs stay where they are: tuchuang
is pointed at the same FastDFS and serves the same `group1/M00/…` ids.

What the originals kept wrong is repaired or left out, and every such row is reported: counts are
recomputed from the rows; rows that cannot be used (no owner, no content, no file id, a name no
client can send) are not imported; duplicates are kept once. Each run writes each row at most
once (rows are looked up by their natural keys before they are written), so an interrupted import
is finished by running it again, with the same result.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, TextIO

from tuchuang.blobs import FILE_ID, BlobStore
from tuchuang.cache import RankingCache
from tuchuang.cache.reads import ReadCache
from tuchuang.db import MetadataStore, open_store
from tuchuang.db.migrations import upgrade
from tuchuang.errors import TuchuangError
from tuchuang.imports.source import LAYOUTS, Source, shown
from tuchuang.services.accounts import EMAIL, PASSWORD_MD5, valid_name

MD5 = re.compile(r"[0-9a-f]{32}")
LINK = re.compile(r"[0-9A-Za-z]{32}")  # md5 hex (FastCGI) or 32 random letters (tc-src)
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
ID_IN_URL = re.compile(
    r"(group[0-9]{1,2}/M[0-9A-F]{2}/[0-9A-F]{2}/[0-9A-F]{2}/[A-Za-z0-9_-]{6,64}(?:\.[A-Za-z0-9]{1,6})?)"
)
SHARE_COUNT_ROW = "xxx_share_xxx_file_xxx_list_xxx_count_xxx"  # the originals' share square count
PICTURE_COUNT_SUFFIX = "_share_picture_list_count"
KEEP_EXAMPLES = 50  # defects kept per kind for the report; the rest are counted

MEANING = {
    "user-name": "a user name no client can log in with today (empty, spaces, control characters, over 32)",
    "nick-name": "a nickname that is empty, too long, or another user's: replaced by the user name",
    "password": "a stored password that is not the md5 hex the clients send: the account cannot log in",
    "email": "an invalid email address or phone number: left empty",
    "file-without-user": "a file of a user who does not exist (or was not imported)",
    "file-name": "a file with an empty or over-long name (no client can name it)",
    "bad-md5": "a row whose md5 is not 32 hex characters",
    "no-content": "a file whose content row is missing or has no usable file id",
    "no-file-id": "a content row whose URL and file_id hold no FastDFS file id",
    "file-id-mismatch": "a content row whose URL and file_id name different files: the URL's is used",
    "other-group": "a file id outside group1/M00: imported, but not served until tuchuang serves other groups",
    "duplicate-content": "two content rows for one md5: the first usable one is kept",
    "unreferenced-content": "a content row no user file uses: not imported; its file stays in FastDFS",
    "duplicate-file": "the same (user, md5, name) more than once: kept once",
    "count": "a reference count that disagrees with the rows (or is negative): recomputed",
    "negative-pv": "a negative download count: set to 0",
    "share-without-file": "a share whose owner no longer has the file: not imported",
    "duplicate-share": "the same (md5, name) shared more than once: the first share is kept",
    "share-flag": "a file's shared flag disagrees with the share square: recomputed",
    "file-count": "a user's file count (user_file_count) that disagrees with the rows: recomputed",
    "share-count": "the share square's count (user_file_count) that disagrees with the rows: recomputed",
    "picture-count": "a user's picture link count (user_file_count) that disagrees with the rows: recomputed",
    "picture-without-user": "a picture link of a user who does not exist (or was not imported)",
    "picture-file-gone": "a picture link whose file its owner deleted: imported; its page says so",
    "duplicate-link": "a picture link id used twice (two shares in one second): the later one gets a new id",
    "bad-link": "a picture link id that is not 32 letters or digits: the link gets a new id",
    "missing-blob": "a file FastDFS (or the store path) does not have (--check-blobs)",
}


@dataclass
class Report:
    source: str
    layout: str = ""
    dry_run: bool = False
    imported: Counter[str] = field(default_factory=Counter)
    defects: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    checked_blobs: int = 0

    def defect(self, kind: str, subject: str, action: str = "") -> None:
        self.defects[kind] += 1
        kept = self.examples.setdefault(kind, [])
        if len(kept) < KEEP_EXAMPLES:
            kept.append(f"{subject}: {action}" if action else subject)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "layout": self.layout,
            "dry_run": self.dry_run,
            "imported": dict(self.imported),
            "defects": {k: {"count": n, "examples": self.examples.get(k, [])} for k, n in self.defects.items()},
            "checked_blobs": self.checked_blobs,
        }

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [f"source: {self.source}, {LAYOUTS.get(self.layout, self.layout)}"]
        for what in ("users", "contents", "files", "shares", "picture links"):
            out.append(f"{verb}: {self.imported.get(what, 0)} {what}")
        if self.checked_blobs:
            out.append(f"checked {self.checked_blobs} stored files")
        for kind in sorted(self.defects):
            out.append(f"{kind} ({self.defects[kind]}): {MEANING.get(kind, '')}")
            shown_ = self.examples.get(kind, [])
            out.extend(f"  {example}" for example in shown_)
            if self.defects[kind] > len(shown_):
                out.append(f"  … and {self.defects[kind] - len(shown_)} more")
        if not self.defects:
            out.append("no defects found")
        return out


class ImportRefused(TuchuangError):
    """The target is not one this source may be imported into."""


def refuse_foreign_target(users: int, earlier: object) -> None:
    """An import goes into a new database, or into one an earlier run of this source began."""
    if users and earlier is None:
        raise ImportRefused(
            "the target database already has users and no earlier import of this source:"
            " import into a new, empty tuchuang database"
        )


class Progress:
    """One line per table on a terminal, redrawn as batches land; silent otherwise."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream if stream is not None and stream.isatty() else None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.stream is None:
            return
        width = 30
        filled = width * done // total if total else width
        self.stream.write(f"\r{what:<20} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def normal_md5(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text if MD5.fullmatch(text) else None


def timestamp(value: Any, fallback: str) -> str:
    text = str(value or "")[:19]
    return text if TIME.fullmatch(text) else fallback


def file_id_of(url: Any, file_id: Any) -> tuple[str | None, bool]:
    """The FastDFS file id of a content row (the URL's first), and whether the two disagree."""
    ids = []
    for value in (url, file_id):
        match = ID_IN_URL.search(str(value or ""))
        ids.append(match.group(1) if match and FILE_ID.match(match.group(1)) else None)
    chosen = ids[0] or ids[1]
    return chosen, bool(ids[0] and ids[1] and ids[0] != ids[1])


def extension_type(name: str) -> str:
    """`type` as tuchuang records it: the text after the last dot, or "null" (D5)."""
    _, dot, ext = name.rpartition(".")
    return ext[:32] if dot and ext else "null"


class Importer:
    def __init__(
        self,
        source: Source,
        store: MetadataStore,
        hash_password: Callable[[str], str],
        *,
        batch_size: int = 500,
        hash_threads: int = 2,
        progress: Callable[[str, int, int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.store = store
        self.hash_password = hash_password
        self.batch_size = batch_size
        self.hash_threads = hash_threads
        self.progress = progress or (lambda what, done, total: None)
        self.clock = clock
        self.report = Report(shown(source.url), source.layout)
        self.secret = ""
        self.now = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(clock()))

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Report:
        self._begin()
        self._scan()
        self._users()
        self._files()
        self._shares()
        if self.source.layout != "legacy-fastcgi":
            self._pictures()
        with self.store.transaction() as tx:
            tx.recount_contents()
            tx.reset_share_flags()
            tx.finish_import(self.report.source, int(self.clock()))
        return self.report

    def _begin(self) -> None:
        with self.store.transaction() as tx:
            earlier = tx.import_run(self.report.source)
            if earlier is None:
                refuse_foreign_target(tx.count_users(), earlier)
                self.secret = secrets.token_hex(16)
                tx.start_import(self.report.source, self.source.layout, self.secret, int(self.clock()))
            else:
                layout, self.secret, _ = earlier
                if layout != self.source.layout:
                    raise ImportRefused(
                        f"this source was imported before as {layout}, now it looks like {self.source.layout}"
                    )

    def _pages(self, table: str, columns: tuple[str, ...], label: str) -> Iterable[list[tuple[Any, ...]]]:
        total = self.source.count(table)
        done = 0
        self.progress(label, 0, total)
        for batch in self.source.batches(table, columns, self.batch_size):
            yield batch
            done += len(batch)
            self.progress(label, min(done, total), total)
        if total == 0:
            self.progress(label, 0, 0)

    # -- defects the source's own queries find (read only, aggregated by the source database) --

    def _scan(self) -> None:
        src, report = self.source, self.report
        for md5, n in src.rows("SELECT md5, COUNT(*) FROM file_info GROUP BY md5 HAVING COUNT(*) > 1"):
            report.defect("duplicate-content", str(md5), f"{n} rows; the first usable one is kept")
        refs = "(SELECT COUNT(*) FROM user_file_list u WHERE u.md5 = f.md5)"
        if src.layout == "tc-src":  # its picture links hold a reference too
            refs = f"({refs} + (SELECT COUNT(*) FROM share_picture_list p WHERE p.filemd5 = f.md5))"
        for md5, count, actual in src.rows(
            f"SELECT f.md5, f.count, {refs} FROM file_info f WHERE f.count <> {refs} OR f.count IS NULL"
        ):  # noqa: E501
            report.defect("count", str(md5), f"was {count}, {actual} files use it")
        unused = (
            "SELECT f.md5, f.url FROM file_info f WHERE NOT EXISTS (SELECT 1 FROM user_file_list u WHERE u.md5 = f.md5)"
        )
        for md5, url in src.rows(unused):
            report.defect("unreferenced-content", str(md5), f"not imported; {url} stays in FastDFS")
        same_file = (
            "SELECT user, md5, file_name, COUNT(*) FROM user_file_list"
            " GROUP BY user, md5, file_name HAVING COUNT(*) > 1"
        )
        for user, md5, name, n in src.rows(same_file):
            report.defect("duplicate-file", f"{user} {md5} {name!r}", f"{n} rows; kept once")
        same_share = "SELECT md5, file_name, COUNT(*) FROM share_file_list GROUP BY md5, file_name HAVING COUNT(*) > 1"
        for md5, name, n in src.rows(same_share):
            report.defect("duplicate-share", f"{md5} {name!r}", f"{n} rows; the first is kept")
        flags = (
            "SELECT u.user, u.md5, u.file_name, u.shared_status FROM user_file_list u WHERE"
            " (COALESCE(u.shared_status, 0) <> 0) <> EXISTS (SELECT 1 FROM share_file_list s"
            " WHERE s.user = u.user AND s.md5 = u.md5 AND s.file_name = u.file_name)"
        )
        for user, md5, name, status in src.rows(flags):
            report.defect("share-flag", f"{user} {md5} {name!r}", f"was {status}; recomputed")
        if "user_file_count" in src.columns:
            self._scan_counts()

    def _scan_counts(self) -> None:
        src, report = self.source, self.report
        files = "(SELECT COUNT(*) FROM user_file_list u WHERE u.user = c.user)"
        for user, count, actual in src.rows(f"SELECT c.user, c.count, {files} FROM user_file_count c"):
            if user == SHARE_COUNT_ROW:
                shares = src.rows("SELECT COUNT(*) FROM share_file_list")[0][0]
                if count != shares:
                    report.defect("share-count", "the share square", f"was {count}, {shares} shares")
            elif str(user).endswith(PICTURE_COUNT_SUFFIX):
                owner = str(user)[: -len(PICTURE_COUNT_SUFFIX)]
                if "share_picture_list" in src.columns:
                    links = src.rows("SELECT COUNT(*) FROM share_picture_list WHERE user = %s", owner)[0][0]
                    if count != links:
                        report.defect("picture-count", owner, f"was {count}, {links} links")
            elif count != actual:
                report.defect("file-count", str(user), f"was {count}, {actual} files")

    # -- users ---------------------------------------------------------------------------------

    def _users(self) -> None:
        columns = ("user_name", "nick_name", "password", "phone", "email", "create_time")
        with ThreadPoolExecutor(max_workers=self.hash_threads) as pool:
            for batch in self._pages("user_info", columns, "users"):
                with self.store.read() as tx:
                    present = tx.existing_users([str(row[1]) for row in batch])
                rows = []
                for _id, name, nick, password, phone, email, created in batch:
                    name, nick, password = str(name or ""), str(nick or ""), str(password or "")
                    phone, email = str(phone or ""), str(email or "")
                    if not valid_name(name):
                        self.report.defect("user-name", repr(name), "not imported, nor their files and links")
                        continue
                    if not PASSWORD_MD5.fullmatch(password):
                        self.report.defect("password", name, "imported; cannot log in until the password is set again")
                    if len(phone) > 16 or (email and (len(email) > 64 or not EMAIL.fullmatch(email))):
                        self.report.defect("email", name, f"phone {phone!r}, email {email!r} left empty")
                        phone, email = ("" if len(phone) > 16 else phone), ""
                    if not (0 < len(nick) <= 32 and nick.isprintable()):
                        self.report.defect(
                            "nick-name", name, f"{nick!r} is not a valid nickname: the user name is used"
                        )
                        nick = ""
                    if name not in present:
                        rows.append((name, nick, password, phone, email, created))
                # argon2id over what the clients send (the md5 hex), as a registration stores it (D2)
                hashes = list(pool.map(lambda row: self.hash_password(row[2].lower()), rows))
                with self.store.transaction() as tx:
                    for (name, nick, _password, phone, email, created), hashed in zip(rows, hashes, strict=True):
                        nick = self._nick(tx, name, nick)
                        tx.import_user(name, nick, hashed, phone, email, timestamp(created, self.now))
                        self.report.imported["users"] += 1

    def _nick(self, tx: Any, name: str, nick: str) -> str:
        """The nickname to store: the source's, unless invalid (empty here) or another user's."""
        if nick and tx.nick_owner(nick) is None:
            return nick
        for candidate in (name, *(f"{name[:28]}#{n}" for n in range(2, 1000))):
            if tx.nick_owner(candidate) is None:
                if nick:
                    self.report.defect("nick-name", name, f"{nick!r} is another user's: {candidate!r} is used")
                return candidate
        raise ImportRefused(f"no free nickname for {name}")

    # -- files and their contents --------------------------------------------------------------

    def _files(self) -> None:
        columns = ("user", "md5", "create_time", "file_name", "pv")
        for batch in self._pages("user_file_list", columns, "files"):
            with self.store.read() as tx:
                users = tx.existing_users(sorted({str(row[1] or "") for row in batch}))
            # as each row spells it, and in both cases: a case-sensitive source matches only one
            spellings = {v for row in batch if (md5 := normal_md5(row[2])) for v in (str(row[2]), md5, md5.upper())}
            contents = self._contents(sorted(spellings))
            with self.store.transaction() as tx:
                for _id, user, raw_md5, created, name, pv in batch:
                    user, name = str(user or ""), str(name or "")
                    md5 = normal_md5(raw_md5)
                    subject = f"{user} {raw_md5} {name!r}"
                    if user not in users:
                        self.report.defect("file-without-user", subject, "not imported")
                    elif not name or len(name) > 128:
                        self.report.defect("file-name", subject, "not imported")
                    elif md5 is None:
                        self.report.defect("bad-md5", subject, "not imported")
                    elif md5 not in contents:
                        self.report.defect("no-content", subject, "not imported")
                    else:
                        if tx.import_content(md5, *contents[md5]):
                            self.report.imported["contents"] += 1
                        if tx.import_user_file(user, md5, timestamp(created, self.now), name, self._pv(pv, subject)):
                            self.report.imported["files"] += 1

    def _contents(self, md5s: list[str]) -> dict[str, tuple[str, int, str]]:
        """The first usable content row of each md5 (as the source spells it): (file id, size, type)."""
        if not md5s:
            return {}
        found: dict[str, tuple[str, int, str]] = {}
        marks = ", ".join(["%s"] * len(md5s))
        sql = f"SELECT md5, file_id, url, size, type FROM file_info WHERE md5 IN ({marks}) ORDER BY id"
        for raw_md5, raw_id, url, size, type_ in self.source.rows(sql, *md5s):
            md5 = normal_md5(raw_md5)
            if md5 is None or md5 in found:
                continue
            file_id, differ = file_id_of(url, raw_id)
            if file_id is None:
                self.report.defect("no-file-id", f"{md5} {url!r}", "this row is not used")
                continue
            if differ:
                self.report.defect("file-id-mismatch", f"{md5} {url!r} / {raw_id!r}", f"{file_id} is used")
            if not file_id.startswith("group1/M00/"):
                self.report.defect("other-group", f"{md5} {file_id}")
            kind = str(type_ or "")
            found[md5] = (file_id, max(int(size or 0), 0), kind if 0 < len(kind) <= 32 else extension_type(file_id))
        return found

    def _pv(self, value: Any, subject: str) -> int:
        pv = int(value or 0)
        if pv < 0:
            self.report.defect("negative-pv", subject, f"was {pv}")
            return 0
        return pv

    # -- the share square ----------------------------------------------------------------------

    def _shares(self) -> None:
        columns = ("user", "md5", "file_name", "pv", "create_time")
        for batch in self._pages("share_file_list", columns, "shares"):
            with self.store.transaction() as tx:
                for _id, user, raw_md5, name, pv, created in batch:
                    user, name, md5 = str(user or ""), str(name or ""), normal_md5(raw_md5)
                    subject = f"{user} {raw_md5} {name!r}"
                    if md5 is None or not tx.has_user_file(user, md5, name):
                        self.report.defect("share-without-file", subject, "not imported")
                        continue
                    if tx.import_share(user, md5, name, self._pv(pv, subject), timestamp(created, self.now)):
                        self.report.imported["shares"] += 1

    # -- picture links -------------------------------------------------------------------------

    def _pictures(self) -> None:
        columns = ("user", "filemd5", "file_name", "urlmd5", "pv", "create_time")
        for batch in self._pages("share_picture_list", columns, "picture links"):
            with self.store.read() as tx:
                users = tx.existing_users(sorted({str(row[1] or "") for row in batch}))
            with self.store.transaction() as tx:
                for row_id, user, raw_md5, name, raw_link, pv, created in batch:
                    user, name, md5 = str(user or ""), str(name or ""), normal_md5(raw_md5)
                    subject = f"{user} {raw_link}"
                    if user not in users:
                        self.report.defect("picture-without-user", subject, "not imported")
                        continue
                    if md5 is None or not name:
                        self.report.defect("bad-md5", subject, "not imported")
                        continue
                    if not tx.has_user_file(user, md5, name):
                        self.report.defect("picture-file-gone", subject, "imported; its page says the file was deleted")
                    link = self._link(tx, row_id, raw_link, (user, md5, name))
                    if link is None:
                        continue  # this very link was imported by an earlier run
                    tx.import_picture(user, md5, name, link, self._pv(pv, subject), timestamp(created, self.now))
                    self.report.imported["picture links"] += 1

    def _link(self, tx: Any, row_id: int, raw: Any, owner: tuple[str, str, str]) -> str | None:
        """The link id to write: the old one, so old links keep working, unless another share holds
        it or it is malformed; then one derived from this import's secret and the row, the same on
        every run. None when the link is already there."""
        old = str(raw or "")
        if LINK.fullmatch(old):
            holder = tx.picture_at(old)
            if holder is None:
                return old
            if holder == owner:
                return None
        new = sha256(f"{self.secret}:{row_id}:{raw}".encode()).hexdigest()[:32]
        kind = "duplicate-link" if LINK.fullmatch(old) else "bad-link"
        self.report.defect(kind, f"{owner[0]} {raw}", f"now /share?urlmd5={new}")
        holder = tx.picture_at(new)
        return None if holder == owner else new


def check_blobs(
    store: MetadataStore, blobs: BlobStore, report: Report, progress: Callable[[str, int, int], None], batch: int = 500
) -> None:
    """Ask the blob store for every content row's file; report the missing ones."""
    with store.read() as tx:
        total = tx.count_contents()
    last, done = 0, 0
    while True:
        with store.read() as tx:
            page = tx.file_ids_after(last, batch)
        if not page:
            break
        for _id, md5, file_id in page:
            try:
                present = blobs.exists(file_id)
            except TuchuangError as exc:
                report.defect("missing-blob", f"{md5} {file_id}", f"could not be checked: {exc}")
                continue
            if not present:
                report.defect("missing-blob", f"{md5} {file_id}", "its users' downloads will fail")
        done += len(page)
        last = page[-1][0]
        report.checked_blobs = done
        progress("stored files", min(done, total), total)


def run_import(
    source_url: str,
    target_url: str,
    hash_password: Callable[[str], str],
    *,
    dry_run: bool = False,
    blobs: BlobStore | None = None,
    ranking: RankingCache | None = None,
    reads: ReadCache | None = None,
    batch_size: int = 500,
    hash_threads: int = 2,
    progress_stream: TextIO | None = sys.stderr,
) -> Report:
    """Import; with `dry_run`, into a scratch SQLite database that is thrown away (nothing is
    written anywhere else, and no password is hashed)."""
    source = Source(source_url)
    progress = Progress(progress_stream)
    scratch = tempfile.TemporaryDirectory(prefix="tuchuang-import-") if dry_run else None
    try:
        if scratch is not None:
            target = open_store(f"sqlite:///{Path(scratch.name) / 'dry-run.db'}")
            migrations = logging.getLogger("tuchuang.db.migrations")
            level = migrations.level
            migrations.setLevel(logging.WARNING)  # the scratch database's schema is no news
            try:
                upgrade(target)
            finally:
                migrations.setLevel(level)
            _may_import(target_url, shown(source_url))
            hash_password = lambda _md5: "dry run"  # noqa: E731
        else:
            target = open_store(target_url, 2)
        try:
            report = Importer(
                source, target, hash_password, batch_size=batch_size, hash_threads=hash_threads, progress=progress
            ).run()
            report.dry_run = dry_run
            if ranking is not None and not dry_run:  # the download ranking's cache, from the new rows
                with target.read() as tx:
                    truth = tx.ranking(0, tx.count_shares())
                ranking.rebuild(lambda: truth)
            if reads is not None and not dry_run:
                reads.changed_everything()  # cached counts and pages of the target are no longer true
            if blobs is not None:
                check_blobs(target, blobs, report, progress)
            return report
        finally:
            target.close()
    finally:
        source.close()
        if scratch is not None:
            scratch.cleanup()


def _may_import(target_url: str, source: str) -> None:
    """A dry run refuses what the import would refuse: a target with users of its own."""
    store = open_store(target_url, 1)
    try:
        with store.read() as tx:
            users, earlier = tx.count_users(), tx.import_run(source)
    except TuchuangError:
        return  # no schema yet: empty
    finally:
        store.close()
    refuse_foreign_target(users, earlier)
