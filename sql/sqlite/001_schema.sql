-- Tables of the original 0voice schema (PROTOCOL.md §8) with the fixes of DECISIONS.md:
-- unique md5, unique (user, md5, file_name), hashed passwords, file id instead of url.
CREATE TABLE user_info (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT NOT NULL UNIQUE,
    nick_name TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    create_time TEXT NOT NULL
);

CREATE TABLE file_info (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    md5 TEXT NOT NULL UNIQUE,
    file_id TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    type TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_file_list (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    md5 TEXT NOT NULL,
    create_time TEXT NOT NULL,
    file_name TEXT NOT NULL,
    shared_status INTEGER NOT NULL DEFAULT 0,
    pv INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user, md5, file_name)
);
CREATE INDEX idx_user_file_list_md5 ON user_file_list (md5);

CREATE TABLE share_file_list (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    md5 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    pv INTEGER NOT NULL DEFAULT 0,
    create_time TEXT NOT NULL,
    UNIQUE (md5, file_name)
);
CREATE INDEX idx_share_file_list_pv ON share_file_list (pv);

CREATE TABLE share_picture_list (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    filemd5 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    urlmd5 TEXT NOT NULL UNIQUE,
    pv INTEGER NOT NULL DEFAULT 0,
    create_time TEXT NOT NULL
);
CREATE INDEX idx_share_picture_list_user ON share_picture_list (user);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX idx_sessions_user ON sessions (user_name, expires_at);
