-- Blob intents: a blob tuchuang is writing or has written, until the commit that references it
-- removes the row; fsck deletes only blobs named here (never files it does not know).
CREATE TABLE blob_intents (
    token TEXT NOT NULL PRIMARY KEY,
    file_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX idx_blob_intents_file_id ON blob_intents (file_id);

-- The SHA-256 of each content beside its md5: two contents with one md5 are told apart.
ALTER TABLE file_info ADD COLUMN sha256 TEXT;
