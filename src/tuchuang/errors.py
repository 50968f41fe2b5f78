"""The project's own exceptions; adapters translate vendor errors into these."""


class TuchuangError(Exception):
    """Base of every error the project raises on purpose."""


class DatabaseUnavailable(TuchuangError):
    """The metadata store cannot be reached or failed mid-operation."""


class LockConflict(DatabaseUnavailable):
    """The database rolled the transaction back (deadlock victim, lock wait timeout): retry it."""


class Conflict(TuchuangError):
    """A unique key was violated: someone else wrote the same row first."""


class SessionStoreUnavailable(TuchuangError):
    """The session store (SQL table or Redis) cannot be reached."""


class BlobNotFound(TuchuangError):
    """No blob has this file id."""


class StorageUnavailable(TuchuangError):
    """The blob store cannot be reached or failed mid-operation."""


class InvalidFileId(BlobNotFound):
    """A file id that no store could have produced (bad shape)."""
