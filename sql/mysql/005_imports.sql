-- Imports from an original 0voice deployment (`tuchuang import`): one row per source database, so
-- a second run continues the first, and the secret that derives new picture link ids.
CREATE TABLE imports (
    source VARCHAR(255) NOT NULL,
    layout VARCHAR(32) NOT NULL,
    secret CHAR(32) NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NULL,
    PRIMARY KEY (source)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=@NOPAD_BIN@;
