"""Statements of blob intents: each blob tuchuang writes is named here from before its write until
the commit that references it, so fsck can tell its own unfinished blobs from anyone else's files."""

from __future__ import annotations

from tuchuang.db.base import TxBase

INSERT_INTENT = "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, NULL, %s)"
INSERT_INTENT_FOR = "INSERT INTO blob_intents (token, file_id, created_at) VALUES (%s, %s, %s)"
SET_INTENT_FILE_ID = "UPDATE blob_intents SET file_id = %s WHERE token = %s"
DELETE_INTENT = "DELETE FROM blob_intents WHERE token = %s"
LIST_INTENTS = "SELECT token, file_id, created_at FROM blob_intents ORDER BY created_at, token"
SELECT_INTENT = "SELECT file_id, created_at FROM blob_intents WHERE token = %s"


class IntentsTx(TxBase):
    def insert_intent(self, token: str, now: int) -> None:
        self.execute(INSERT_INTENT, token, now)

    def insert_intent_for(self, token: str, file_id: str, now: int) -> None:
        """Name a blob about to be deleted: if the delete fails, fsck finishes it."""
        self.execute(INSERT_INTENT_FOR, token, file_id, now)

    def set_intent_file_id(self, token: str, file_id: str) -> None:
        self.execute(SET_INTENT_FILE_ID, file_id, token)

    def delete_intent(self, token: str) -> bool:
        return self.execute(DELETE_INTENT, token).rowcount > 0

    def intent(self, token: str) -> tuple[str | None, int] | None:
        row = self._one(SELECT_INTENT, token)
        return None if row is None else (row[0], int(row[1]))

    def intents(self) -> list[tuple[str, str | None, int]]:
        """(token, file id or None while the write runs, created at) of every open intent."""
        return [(r[0], r[1], int(r[2])) for r in self._all(LIST_INTENTS)]
