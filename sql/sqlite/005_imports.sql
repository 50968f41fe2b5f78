-- Imports from an original 0voice deployment (`tuchuang import`): one row per source database, so
-- a second run continues the first, and the secret that derives new picture link ids.
CREATE TABLE imports (
    source TEXT PRIMARY KEY,
    layout TEXT NOT NULL,
    secret TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
);
