"""`tuchuang fsck`: check that the metadata, the blob store and the ranking cache agree; repair
what can be repaired safely.

Invariants (DECISIONS.md D5, D6): `file_info.count` equals the rows referencing the md5; every
`file_info` row's blob exists; every blob belongs to a row; every user file has its content row;
every share has its user file, and the file's share flag says so; the ranking cache equals SQL.
Finding kinds: count, unreferenced, missing-blob, orphan-blob, no-content, share-without-file,
share-flag, picture-share-without-user, ranking-cache, stale-spool.

Repairs never delete a blob a row references. A blob no row references is deleted only when it is
older than the grace period, so an upload between its blob write and its row insert is not hit.
Every repair re-checks its finding inside its own transaction, so a live server may keep running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuchuang.blobs import BlobStore
from tuchuang.cache import RankingCache
from tuchuang.db import MetadataStore
from tuchuang.errors import BlobNotFound

log = logging.getLogger(__name__)


@dataclass
class Finding:
    kind: str
    subject: str
    detail: str = ""
    repaired: bool = False
    note: str = ""

    def line(self) -> str:
        state = "repaired" if self.repaired else (self.note or "not repaired")
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind}: {self.subject}{extra} [{state}]"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != ""}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.findings

    @property
    def unresolved(self) -> list[Finding]:
        return [f for f in self.findings if not f.repaired]


class Fsck:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        ranking: RankingCache,
        grace_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
        spool_dir: Path | None = None,
    ) -> None:
        self.spool_dir = spool_dir
        self.store = store
        self.blobs = blobs
        self.ranking = ranking
        self.grace = grace_seconds
        self.clock = clock

    def run(self, repair: bool = False) -> Report:
        report = Report()
        steps = (
            self._counts,
            self._missing_blobs,
            self._orphan_blobs,
            self._user_files_without_content,
            self._shares_without_file,
            self._share_flags,
            self._picture_shares,
            self._ranking_cache,  # last: the repairs above may change the shares
            self._stale_spool,
        )
        for step in steps:
            for finding in step(report, repair):
                report.findings.append(finding)
                log.log(logging.INFO if finding.repaired else logging.WARNING, "%s", finding.line())
        return report

    # -- content rows and reference counts -----------------------------------------------------

    def _counts(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            files = tx.fsck_files()
            refs = tx.fsck_references()
        for md5, _file_id, count in files:
            actual = refs.get(md5, 0)
            if actual == 0:
                yield self._unreferenced(md5, count, repair)
            elif count != actual:
                finding = Finding("count", md5, f"count {count}, {actual} referencing rows")
                if repair:
                    with self.store.transaction() as tx:
                        tx.fix_count(md5)
                    finding.repaired = True
                yield finding

    def _unreferenced(self, md5: str, count: int, repair: bool) -> Finding:
        finding = Finding("unreferenced", md5, f"count {count}, no referencing row")
        if not repair:
            return finding
        with self.store.transaction() as tx:
            tx.fix_count(md5)  # re-checked here: a reference added meanwhile keeps the row
            file_id = tx.file_id_of(md5)
            gone = tx.delete_unreferenced_file(md5)
        if not gone:
            finding.note = "referenced again meanwhile: left alone"
            return finding
        if file_id is not None:  # the row is gone (committed) before its blob goes (D5)
            try:
                self.blobs.delete(file_id)
            except BlobNotFound:
                pass
        finding.repaired = True
        return finding

    def _missing_blobs(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            files = tx.fsck_files()
        for md5, file_id, _count in files:
            if self.blobs.exists(file_id):
                continue
            finding = Finding("missing-blob", md5, file_id)
            if repair:
                # The content is lost; rows that can never be served go, so `md5` asks for an
                # upload again and lists stop offering a dead link.
                with self.store.transaction() as tx:
                    still = tx.file_id_of(md5) == file_id and not self.blobs.exists(file_id)
                    if still:
                        tx.delete_content(md5, file_id)
                finding.repaired = still
                finding.note = "" if still else "changed meanwhile: left alone"
            yield finding

    def _orphan_blobs(self, report: Report, repair: bool) -> Iterator[Finding]:
        list_ids = getattr(self.blobs, "file_ids", None)
        if list_ids is None:
            report.unchecked.append("orphan blobs: this blob store cannot list its blobs")
            return
        try:
            stored = list(list_ids())
        except NotImplementedError as exc:
            report.unchecked.append(f"orphan blobs: {exc}")
            return
        with self.store.read() as tx:
            known = tx.fsck_file_ids()
        now = self.clock()
        for file_id in stored:
            if file_id in known:
                continue
            try:
                age = now - self.blobs.stat(file_id).mtime
            except BlobNotFound:
                continue  # deleted meanwhile
            finding = Finding("orphan-blob", file_id, f"{int(age)}s old")
            if repair:
                if age < self.grace:
                    finding.note = f"younger than the {self.grace}s grace period: left alone"
                else:
                    with self.store.read() as tx:
                        referenced = tx.file_id_exists(file_id)
                    if not referenced:
                        try:
                            self.blobs.delete(file_id)
                        except BlobNotFound:
                            pass
                        finding.repaired = True
                    else:
                        finding.note = "referenced meanwhile: left alone"
            yield finding

    # -- user files and shares -------------------------------------------------------------------

    def _user_files_without_content(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            rows = tx.fsck_user_files_without_content()
        for user, md5, name in rows:
            finding = Finding("no-content", f"{user}/{md5}/{name}")
            if repair:
                with self.store.transaction() as tx:
                    if tx.file_id_of(md5) is None:
                        tx.delete_share(user, md5, name)
                        tx.delete_user_file(user, md5, name)
                        finding.repaired = True
            yield finding

    def _shares_without_file(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            rows = tx.fsck_shares_without_file()
        for user, md5, name in rows:
            finding = Finding("share-without-file", f"{user}/{md5}/{name}")
            if repair:
                with self.store.transaction() as tx:
                    if tx.user_file_shared(user, md5, name) is None:
                        tx.delete_share(user, md5, name)
                        finding.repaired = True
            yield finding

    def _share_flags(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            rows = tx.fsck_wrong_share_flags()
        for user, md5, name, flag in rows:
            finding = Finding("share-flag", f"{user}/{md5}/{name}", f"flag {flag}")
            if repair:
                with self.store.transaction() as tx:
                    shared = tx.share_owner(md5, name) == user
                    tx.set_shared_status(user, md5, name, shared)
                finding.repaired = True
            yield finding

    def _picture_shares(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            rows = tx.fsck_picture_shares_without_user()
            of_deleted = tx.fsck_picture_shares_of_deleted_files()
        if of_deleted:
            report.notes.append(
                f"{of_deleted} picture share(s) of deleted files: kept on purpose (D7: browse answers 2)"
            )
        for user, urlmd5 in rows:
            finding = Finding("picture-share-without-user", urlmd5, f"user {user}")
            if repair:
                with self.store.transaction() as tx:
                    finding.repaired = tx.delete_picture_share(user, urlmd5)
            yield finding

    # -- ranking cache ---------------------------------------------------------------------------

    def _ranking_cache(self, report: Report, repair: bool) -> Iterator[Finding]:
        cached = self.ranking.snapshot()
        if cached is None:
            return
        with self.store.read() as tx:
            truth = tx.ranking(0, tx.count_shares())
        want = sorted(truth)
        if sorted(cached) == want:
            return
        finding = Finding("ranking-cache", "FILE_PUBLIC_ZSET", f"{len(cached)} cached, {len(want)} shared")
        if repair:
            self.ranking.rebuild(lambda: truth)
            again = self.ranking.snapshot()
            finding.repaired = again is not None and sorted(again) == want
        yield finding

    # -- the app's own upload spool ----------------------------------------------------------------

    def _stale_spool(self, report: Report, repair: bool) -> Iterator[Finding]:
        """Spool files are removed when their request ends; a killed worker leaves its file behind."""
        if self.spool_dir is None or not self.spool_dir.is_dir():
            return
        now = self.clock()
        for path in sorted(self.spool_dir.glob("upload-*.body")):
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            finding = Finding("stale-spool", path.name, f"{int(age)}s old")
            if repair:
                if age < self.grace:
                    finding.note = f"younger than the {self.grace}s grace period: left alone"
                else:
                    path.unlink(missing_ok=True)
                    finding.repaired = True
            yield finding
