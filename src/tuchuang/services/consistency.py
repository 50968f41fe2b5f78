"""`tuchuang fsck`: check that the metadata, the blob store and the ranking cache agree; repair
what can be repaired without losing anything a user stored.

What it deletes, and only after the grace period: blobs that tuchuang itself wrote and that no row
references (named by an upload intent), partial writes of killed uploads in the local store's
`tmp/`, and the app's own stale spool files. Everything else it only re-links or re-counts.

What it never deletes:
- a file in the store that no intent names: on a FastDFS group shared with other applications
  that file is someone else's (reported as `unknown-blob`);
- rows whose blob is missing or damaged: a missing blob is usually an unmounted or wrong store
  path, not garbage. `forget_missing` is the separate, explicit, bounded action for content that
  is really lost. When most blobs are missing, fsck stops before repairing anything.

Every repair re-checks its finding inside its own transaction, so a live server may keep running.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuchuang.blobs import BlobStore
from tuchuang.cache import RankingCache
from tuchuang.cache.reads import NoReadCache, ReadCache
from tuchuang.db import MetadataStore
from tuchuang.errors import BlobNotFound, TuchuangError
from tuchuang.services.files import remove_written_blob

log = logging.getLogger(__name__)

# Finding kinds and what each means, for an operator reading the report.
MEANING = {
    "count": "the reference count disagrees with the files that use this content",
    "unreferenced": "a content row that no user file uses",
    "missing-blob": "a content row whose file is not in the blob store (never deleted by --repair)",
    "damaged-blob": "the stored file's size differs from the recorded size (never deleted by --repair)",
    "orphan-blob": "a file tuchuang wrote for an upload or a delete that never completed",
    "unfinished-upload": "an upload that was killed while its file was being written",
    "finished-intent": "the record of an upload whose file is stored and in use",
    "unknown-blob": "a file in the store that tuchuang has no record of writing (never deleted)",
    "no-content": "a user file whose content row is gone",
    "share-without-file": "a share whose user file is gone",
    "share-flag": "a file's shared flag disagrees with the share square",
    "picture-share-without-user": "a picture link of a user who no longer exists",
    "ranking-cache": "the download ranking in Redis disagrees with the database",
    "stale-spool": "an upload body left behind by a killed request",
}


class StoreLooksWrong(TuchuangError):
    """Most blobs are missing: the store path is probably unmounted or wrong; nothing was repaired."""


@dataclass
class Finding:
    kind: str
    subject: str
    detail: str = ""
    repaired: bool = False
    note: str = ""
    in_grace: bool = False  # may be an upload in flight: reported, not an inconsistency yet
    notice: bool = False  # worth knowing, not an inconsistency (e.g. files of other applications)

    def line(self) -> str:
        if self.repaired:
            state = "repaired"
        else:
            state = self.note or "not repaired"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind}: {self.subject}{extra} [{state}]"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", False)}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """Findings that are inconsistencies (not in-grace items, not notices)."""
        return [f for f in self.findings if not (f.in_grace or f.notice)]

    @property
    def consistent(self) -> bool:
        return not self.problems

    @property
    def unresolved(self) -> list[Finding]:
        return [f for f in self.problems if not f.repaired]


class Fsck:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        ranking: RankingCache,
        grace_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
        spool_dir: Path | None = None,
        reads: ReadCache | None = None,
    ) -> None:
        self.spool_dir = spool_dir
        self.reads = reads or NoReadCache()  # repairs change what cached reads answer
        self.store = store
        self.blobs = blobs
        self.ranking = ranking
        self.grace = grace_seconds
        self.clock = clock

    def run(self, repair: bool = False) -> Report:
        """Check everything; with `repair`, fix what is safe. Raise StoreLooksWrong before any repair."""
        report = Report()
        check = getattr(self.blobs, "check", None)
        if check is not None:
            check()  # a store that cannot be reached cannot be checked: stop (StorageUnavailable)
        blob_findings = list(self._blobs_of_rows(report))  # first: it may stop the whole run
        steps = (
            self._counts,
            self._intents,
            self._partial_writes,
            self._unknown_blobs,
            self._user_files_without_content,
            self._shares_without_file,
            self._share_flags,
            self._picture_shares,
            self._ranking_cache,  # last: the repairs above may change the shares
            self._stale_spool,
        )
        report.findings.extend(blob_findings)
        for step in steps:
            for finding in step(report, repair):
                report.findings.append(finding)
                log.debug("%s", finding.line())
        if any(f.repaired for f in report.findings):
            self.reads.changed_everything()  # after the repairs' commits (cache/reads.py)
        return report

    def _aged(self, finding: Finding, age: float) -> bool:
        """Mark a finding younger than the grace period; True when it may be acted on."""
        if age < self.grace:
            finding.in_grace = True
            finding.note = f"younger than the {self.grace}s grace period: left alone"
            return False
        return True

    # -- content rows and their blobs ----------------------------------------------------------

    def _blobs_of_rows(self, report: Report) -> Iterator[Finding]:
        """Missing and damaged blobs of content rows: reported, never repaired here."""
        with self.store.read() as tx:
            files = tx.fsck_file_sizes()
        missing: list[Finding] = []
        damaged: list[Finding] = []
        for md5, file_id, size in files:
            try:
                stat = self.blobs.stat(file_id)
            except BlobNotFound:
                missing.append(Finding("missing-blob", md5, file_id, note="kept: see `tuchuang fsck --forget-missing`"))
                continue
            if stat.size != size:
                detail = f"{file_id}: {stat.size} bytes stored, {size} recorded"
                damaged.append(Finding("damaged-blob", md5, detail, note="kept: restore the file from a backup"))
        if files and len(missing) * 2 > len(files):
            raise StoreLooksWrong(
                f"{len(missing)} of {len(files)} stored files are missing from the blob store: "
                "is the store volume mounted, and is TUCHUANG_STORE_PATH (or the FastDFS tracker) the right one? "
                "Nothing was changed."
            )
        yield from missing
        yield from damaged

    def _counts(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            files = tx.fsck_files()
            refs = tx.fsck_references()
        for md5, _file_id, count in files:
            actual = refs.get(md5, 0)
            if actual == 0:
                yield self._unreferenced(md5, count, repair)
            elif count != actual:
                finding = Finding("count", md5, f"count {count}, {actual} files use it")
                if repair:
                    with self.store.transaction() as tx:
                        tx.fix_count(md5)
                    finding.repaired = True
                yield finding

    def _unreferenced(self, md5: str, count: int, repair: bool) -> Finding:
        finding = Finding("unreferenced", md5, f"count {count}, no file uses it")
        if not repair:
            return finding
        token = _new_token()
        with self.store.transaction() as tx:
            tx.fix_count(md5)  # re-checked here: a reference added meanwhile keeps the row
            file_id = tx.file_id_of(md5)
            gone = tx.delete_unreferenced_file(md5)
            if gone and file_id is not None:  # the blob goes after the row, under an intent (D5)
                tx.insert_intent_for(token, file_id, int(self.clock()))
        if not gone:
            finding.note = "used again meanwhile: left alone"
            return finding
        if file_id is not None:
            remove_written_blob(self.blobs, self.store, file_id, token)
        finding.repaired = True
        return finding

    # -- blobs tuchuang wrote (intents), partial writes, files it does not know -------------------

    def _intents(self, report: Report, repair: bool) -> Iterator[Finding]:
        with self.store.read() as tx:
            intents = tx.intents()
        now = self.clock()
        written_for = getattr(self.blobs, "written_for", None)
        for token, file_id, created in intents:
            age = now - created
            if file_id is None and written_for is not None:
                file_id = written_for(token)  # killed after the write, before recording its id
            if file_id is None:
                finding = Finding("unfinished-upload", token, f"started {int(age)}s ago")
                if not hasattr(self.blobs, "partial_writes"):
                    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
                    finding.detail += f"; if the storage kept a partial file, it is an unknown file from about {when}"
                if self._aged(finding, age) and repair:
                    self._discard_partial(token)
                    with self.store.single() as tx:
                        finding.repaired = tx.delete_intent(token)
                yield finding
                continue
            with self.store.read() as tx:
                referenced = tx.file_id_exists(file_id)
            if referenced:
                finding = Finding("finished-intent", token, file_id)
                if self._aged(finding, age) and repair:
                    with self.store.single() as tx:  # only the record goes; the blob is in use
                        finding.repaired = tx.delete_intent(token)
                yield finding
                continue
            finding = Finding("orphan-blob", file_id, f"{int(age)}s old")
            if self._aged(finding, age) and repair:
                with self.store.read() as tx:
                    still = not tx.file_id_exists(file_id)
                if still:
                    finding.repaired = remove_written_blob(self.blobs, self.store, file_id, token)
                else:
                    finding.note = "used meanwhile: left alone"
            yield finding

    def _discard_partial(self, token: str) -> None:
        discard = getattr(self.blobs, "discard_partial", None)
        if discard is not None:
            discard(token)

    def _partial_writes(self, report: Report, repair: bool) -> Iterator[Finding]:
        """Partial files in the local store's own `tmp/` that no open intent explains."""
        listing = getattr(self.blobs, "partial_writes", None)
        if listing is None:
            return
        with self.store.read() as tx:
            open_tokens = {token for token, _, _ in tx.intents()}
        now = self.clock()
        for name, mtime in listing():
            if name in open_tokens:
                continue  # reported (and cleaned) with its intent
            finding = Finding("unfinished-upload", f"tmp/{name}.part", f"{int(now - mtime)}s old")
            if self._aged(finding, now - mtime) and repair:
                self._discard_partial(name)
                finding.repaired = True
            yield finding

    def _unknown_blobs(self, report: Report, repair: bool) -> Iterator[Finding]:
        list_ids = getattr(self.blobs, "file_ids", None)
        if list_ids is None:
            report.unchecked.append("files unknown to tuchuang: this blob store cannot list its files")
            return
        try:
            stored = list(list_ids())
        except NotImplementedError as exc:
            report.unchecked.append(f"files unknown to tuchuang: {exc}")
            return
        with self.store.read() as tx:
            intents = tx.intents()
            known = tx.fsck_file_ids() | {fid for _, fid, _ in intents if fid is not None}
        written_for = getattr(self.blobs, "written_for", None)
        if written_for is not None:
            known |= {written_for(token) for token, fid, _ in intents if fid is None} - {None}
        for file_id in stored:
            if file_id not in known:
                note = "never deleted by fsck: remove it by hand if it is yours and unused"
                yield Finding("unknown-blob", file_id, note=note, notice=True)

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
                f"{of_deleted} picture link(s) point at files their owners deleted: kept on purpose,"
                " the link answers 'file deleted'"
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
        finding = Finding("ranking-cache", "download ranking", f"{len(cached)} cached, {len(want)} shared")
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
            if self._aged(finding, age) and repair:
                path.unlink(missing_ok=True)
                finding.repaired = True
            yield finding

    # -- the explicit action for content that is really lost ---------------------------------------

    def missing_content(self) -> tuple[int, list[tuple[str, str]]]:
        """(number of content rows, [(md5, file id)] of those whose blob is missing)."""
        with self.store.read() as tx:
            files = tx.fsck_file_sizes()
        missing = [(md5, file_id) for md5, file_id, _ in files if not self.blobs.exists(file_id)]
        return len(files), missing

    def forget_missing(self, missing: list[tuple[str, str]]) -> int:
        """Remove the rows (content, its users' files, their shares) of content whose blob is gone.

        Each row is re-checked in its own transaction; return how many were forgotten."""
        forgotten = 0
        for md5, file_id in missing:
            with self.store.transaction() as tx:
                if tx.file_id_of(md5) == file_id and not self.blobs.exists(file_id):
                    tx.delete_content(md5, file_id)
                    forgotten += 1
        if forgotten:
            self.reads.changed_everything()  # after the commits (cache/reads.py)
        return forgotten


def _new_token() -> str:
    return secrets.token_hex(16)
