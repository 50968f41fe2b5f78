-- Blob intents: a blob tuchuang is writing or has written, until the commit that references it
-- removes the row; fsck deletes only blobs named here (never files it does not know).
CREATE TABLE blob_intents (
    token CHAR(32) NOT NULL,
    file_id VARCHAR(256) NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (token),
    KEY idx_blob_intents_file_id (file_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=@NOPAD_BIN@;

-- The SHA-256 of each content beside its md5: two contents with one md5 are told apart.
ALTER TABLE file_info ADD COLUMN sha256 CHAR(64) NULL;

-- Names compare byte for byte: utf8mb4_bin pads, so 'alice   ' = 'alice' (DECISIONS.md D2).
-- @NOPAD_BIN@ is the server's binary no-pad collation (MariaDB utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin).
ALTER TABLE user_info CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE file_info CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE user_file_list CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE share_file_list CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE share_picture_list CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE sessions CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
ALTER TABLE login_failures CONVERT TO CHARACTER SET utf8mb4 COLLATE @NOPAD_BIN@;
