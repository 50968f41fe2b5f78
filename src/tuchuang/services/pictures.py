"""Picture shares: a random link to one of the owner's pictures, with a view count (D7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tuchuang.db import MetadataStore
from tuchuang.db.records import PictureShare
from tuchuang.db.retry import transactions
from tuchuang.errors import Conflict
from tuchuang.services.clock import Clock, local_time
from tuchuang.services.files import check_file_key
from tuchuang.services.outcomes import Outcome, Refused

PICTURE_TYPES = {"png", "jpg", "jpeg", "gif", "bmp", "webp", "ico", "tif", "tiff", "avif"}


class Browse(NamedTuple):
    user: str
    file_name: str
    file_id: str
    create_time: str
    pv: int


class Pictures:
    def __init__(self, store: MetadataStore, clock: Clock, new_urlmd5: Callable[[], str]) -> None:
        self.store = store
        self.clock = clock
        self.new_urlmd5 = new_urlmd5

    def share(self, user: str, md5: str, name: str) -> str:
        md5 = check_file_key(md5, name)
        if name.rpartition(".")[2].lower() not in PICTURE_TYPES:
            raise Refused(Outcome.FAIL, "not a picture")
        urlmd5 = self.new_urlmd5()
        try:
            for attempt in transactions(self.store):
                with attempt as tx:
                    if tx.user_file_shared(user, md5, name) is None:
                        raise Refused(Outcome.FAIL, "not the user's file")
                    tx.insert_picture_share(user, md5, name, urlmd5, local_time(self.clock()))
        except Conflict:
            raise Refused(Outcome.FAIL, "urlmd5 collision") from None
        return urlmd5

    def page(self, user: str, start: int, count: int) -> tuple[int, list[PictureShare]]:
        with self.store.read() as tx:
            return tx.count_picture_shares(user), tx.list_picture_shares(user, start, count)

    def cancel(self, user: str, urlmd5: str) -> None:
        for attempt in transactions(self.store):
            with attempt as tx:
                if not tx.delete_picture_share(user, urlmd5):
                    raise Refused(Outcome.FAIL, "no such picture share of this user")

    def browse(self, urlmd5: str) -> Browse:
        """Count one view and describe the picture; NOT_FOUND or FILE_DELETED otherwise."""
        with self.store.single() as tx:  # two statements, each committing by itself: no BEGIN/COMMIT
            counted = tx.view_picture(urlmd5)
            found = tx.browse_picture_share(urlmd5)
        if found is None:
            raise Refused(Outcome.NOT_FOUND)
        user, name, pv, created, file_id, owned = found
        if not counted or file_id is None or not owned:
            raise Refused(Outcome.FILE_DELETED)
        return Browse(user, name, file_id, created, pv)  # pv includes this view
