"""A user's files: instant upload, storing uploads with dedup by md5, lists, delete, pv (D5)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from tuchuang.blobs import BlobStore, safe_extension
from tuchuang.cache import NoRankingCache, RankingCache
from tuchuang.cache.reads import SQUARE, NoReadCache, ReadCache, encode_page, page_of, user_scope
from tuchuang.db import MetadataStore
from tuchuang.db.records import FileRow, UserFile
from tuchuang.db.retry import transactions
from tuchuang.db.tx import Tx
from tuchuang.errors import BlobNotFound, Conflict, StorageUnavailable, TuchuangError
from tuchuang.services.clock import Clock, local_time
from tuchuang.services.outcomes import Outcome, Refused

log = logging.getLogger(__name__)

MD5 = re.compile(r"[0-9a-fA-F]{32}")
LIST_ORDERS = ("normal", "pvasc", "pvdesc")
_STORE_ATTEMPTS = 4


def valid_file_name(name: str) -> bool:
    """Stored as sent (<= 128 chars) but only ever data; control characters are refused."""
    return 0 < len(name) <= 128 and not any(ord(c) < 32 or ord(c) == 127 for c in name)


def check_file_key(md5: str, name: str) -> str:
    """Validate a (md5, file name) pair; return the md5 in lowercase."""
    if not MD5.fullmatch(md5) or not valid_file_name(name):
        raise Refused(Outcome.FAIL, "md5 or file name invalid")
    return md5.lower()


def file_type(name: str) -> str:
    """The text after the last dot, or "null" (PROTOCOL.md §6), at most 32 chars."""
    _, dot, ext = name.rpartition(".")
    return ext[:32] if dot and ext else "null"


class _NoContent(Exception):
    """No file_info row has the md5: the content must be uploaded."""


class Files:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        clock: Clock,
        instant_upload: bool = True,
        ranking: RankingCache | None = None,
        reads: ReadCache | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.reads = reads or NoReadCache()
        self.clock = clock
        self.instant_upload_enabled = instant_upload
        self.ranking = ranking or NoRankingCache()

    def instant_upload(self, user: str, md5: str, name: str) -> Outcome:
        """Add a reference to stored content: OK, ALREADY_HAVE or UPLOAD_NEEDED."""
        md5 = check_file_key(md5, name)
        if not self.instant_upload_enabled:
            return Outcome.UPLOAD_NEEDED
        try:
            return self._add_reference(user, md5, name)
        except _NoContent:
            return Outcome.UPLOAD_NEEDED

    def store_upload(
        self,
        user: str,
        name: str,
        md5: str,
        size: int,
        source: Path,
        offset: int,
        verify: Callable[[], str | None] = lambda: None,
    ) -> None:
        """Record an upload, storing the blob only if the md5 is new.

        `verify` raises unless the payload matches its declared md5 and size, and returns its
        SHA-256. It is called before anything is recorded; the caller may run the check while the
        blob is being written. Content whose md5 is stored with another SHA-256 is refused: it is
        a different content with the same md5 (a collision), never a second reference to it.
        """
        md5 = check_file_key(md5, name)
        for _ in range(_STORE_ATTEMPTS):
            with self.store.read() as tx:
                row = tx.file(md5)
            if row is not None:
                self._same_content(row, verify())
                try:
                    self._add_reference(user, md5, name)
                    return
                except _NoContent:
                    pass  # deleted meanwhile: store it after all
            if self._store_new(user, name, md5, size, source, offset, verify):
                self.reads.changed(user_scope(user))  # after the commit (cache/reads.py)
                return
        raise Refused(Outcome.FAIL, "could not settle a racing upload")

    def _same_content(self, row: FileRow, sha256: str | None) -> None:
        if row.sha256 and sha256 and row.sha256 != sha256:
            log.warning("upload refused: md5 %s is stored with another SHA-256 (an md5 collision)", row.md5)
            raise Refused(Outcome.FAIL, "md5 collision with stored content")

    def _store_new(
        self, user: str, name: str, md5: str, size: int, source: Path, offset: int, verify: Callable[[], str | None]
    ) -> bool:
        """Write the blob under an intent and record it; False when a racing upload won the md5."""
        token = secrets.token_hex(16)
        with self.store.single() as tx:
            tx.insert_intent(token, int(self.clock()))  # before the write: fsck may clean only its own
        named: list[str] = []

        def record(file_id: str) -> None:  # FastDFS names the blob before its bytes go out
            with self.store.single() as tx:
                tx.set_intent_file_id(token, file_id)
            named.append(file_id)

        try:
            file_id = self.blobs.put(source, offset, size, safe_extension(name), tag=token, named=record)
        except BaseException:
            if named:  # a partial blob under a recorded id: delete it now, or fsck will
                self._discard(named[0], token)
            elif getattr(self.blobs, "removes_failed_writes", False):
                self._forget_intent(token)  # the local store removed its own partial write
            raise
        try:
            if not named:
                record(file_id)
            sha256 = verify()
            for attempt in transactions(self.store):
                with attempt as tx:
                    tx.insert_file(md5, file_id, size, file_type(name), sha256)
                    tx.insert_user_file(user, md5, name, local_time(self.clock()))
                    tx.delete_intent(token)
        except Conflict:
            self._discard(file_id, token)  # a racing upload stored this md5 first: reference it
            return False
        except BaseException:
            self._discard(file_id, token)
            raise
        return True

    def _forget_intent(self, token: str) -> None:
        try:
            with self.store.single() as tx:
                tx.delete_intent(token)
        except TuchuangError as exc:
            log.warning("upload intent %s left for fsck: %s", token, exc)

    def _add_reference(self, user: str, md5: str, name: str) -> Outcome:
        with self.store.read() as tx:  # the common repeat: one read, no transaction
            if tx.user_file_shared(user, md5, name) is not None:
                return Outcome.ALREADY_HAVE
        try:
            for attempt in transactions(self.store):
                with attempt as tx:
                    if tx.user_file_shared(user, md5, name) is not None:
                        return Outcome.ALREADY_HAVE
                    # user_file_list before file_info, in the same order as delete: no deadlock.
                    tx.insert_user_file(user, md5, name, local_time(self.clock()))
                    if not tx.add_to_file_count(md5, 1):
                        raise _NoContent
        except Conflict:
            return Outcome.ALREADY_HAVE  # the same (user, md5, name) committed first
        self.reads.changed(user_scope(user))  # after the commit (cache/reads.py)
        return Outcome.OK

    def count(self, user: str) -> int:
        def load() -> int:
            with self.store.read() as tx:
                return tx.count_user_files(user)

        return self.reads.get(user_scope(user), "count", load, int, int)

    def page(self, user: str, order: str, start: int, count: int) -> tuple[int, list[UserFile]]:
        """Return the user's total and one page of files in `order`."""
        if order not in LIST_ORDERS:
            raise Refused(Outcome.FAIL, "unknown order")

        def load() -> tuple[int, list[UserFile]]:
            with self.store.read() as tx:
                return tx.page_user_files(user, order, start, count)

        return self.reads.get(user_scope(user), f"{order}:{start}:{count}", load, encode_page, page_of(UserFile))

    def delete(self, user: str, md5: str, name: str) -> None:
        """Remove the user's file (and its share); delete the blob once nobody references it."""
        md5 = check_file_key(md5, name)
        for attempt in transactions(self.store):
            with attempt as tx:
                if not tx.delete_user_file(user, md5, name):
                    raise Refused(Outcome.FAIL, "no such file")
                unshared = tx.delete_share(user, md5, name)
                orphan = self._release(tx, md5)
        self.reads.changed(user_scope(user), *([SQUARE] if unshared else []))  # after the commit
        if unshared:
            self.ranking.removed(md5, name)  # D6: the square never lists a deleted file
        if orphan is not None:
            self._discard(*orphan)

    def _release(self, tx: Tx, md5: str) -> tuple[str, str] | None:
        """Drop one reference; return (file id, intent) of the blob to delete when it was the last.

        The intent, committed with the row's removal, lets fsck finish a delete that fails now."""
        tx.add_to_file_count(md5, -1)
        row = tx.file(md5)
        if row is None or row.count > 0:
            return None
        tx.delete_unreferenced_file(md5)
        token = secrets.token_hex(16)
        tx.insert_intent_for(token, row.file_id, int(self.clock()))
        return row.file_id, token

    def add_pv(self, user: str, md5: str, name: str) -> None:
        md5 = check_file_key(md5, name)
        with self.store.single() as tx:
            if not tx.increment_user_file_pv(user, md5, name):
                raise Refused(Outcome.FAIL, "no such file")
        self.reads.changed(user_scope(user))  # after the commit

    def _discard(self, file_id: str, token: str) -> None:
        """Delete a blob no row references, then its intent; a failure leaves both for fsck (D5)."""
        try:
            remove_written_blob(self.blobs, self.store, file_id, token)
        except TuchuangError as exc:
            log.warning("upload intent %s left for fsck: %s", token, exc)


def remove_written_blob(blobs: BlobStore, store: MetadataStore, file_id: str, token: str) -> bool:
    """Delete a blob tuchuang wrote, then the intent naming it (an upload given up, a delete,
    fsck's repair). When the store cannot delete it, both stay for the next fsck: False."""
    try:
        blobs.delete(file_id)
    except BlobNotFound:
        pass
    except StorageUnavailable as exc:
        log.warning("blob %s left for the next fsck: %s", file_id, exc)
        return False
    with store.single() as tx:
        tx.delete_intent(token)
    return True
