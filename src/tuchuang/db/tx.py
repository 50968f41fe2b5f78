"""The unit of work the services get: the statements of every subject on one connection."""

from __future__ import annotations

from tuchuang.db.accounts import AccountsTx
from tuchuang.db.consistency import ConsistencyTx
from tuchuang.db.files import FilesTx
from tuchuang.db.imports import ImportsTx
from tuchuang.db.intents import IntentsTx
from tuchuang.db.pictures import PicturesTx
from tuchuang.db.sessions import SessionsTx
from tuchuang.db.shares import SharesTx


class Tx(AccountsTx, FilesTx, IntentsTx, SharesTx, PicturesTx, SessionsTx, ConsistencyTx, ImportsTx):
    """One transaction (or autocommitted reads) over all the metadata tables."""
