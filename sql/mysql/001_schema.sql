-- Tables of the original 0voice schema (PROTOCOL.md §8) with the fixes of DECISIONS.md:
-- unique md5, unique (user, md5, file_name), hashed passwords, file id instead of url.
CREATE TABLE user_info (
    id BIGINT NOT NULL AUTO_INCREMENT,
    user_name VARCHAR(32) NOT NULL,
    nick_name VARCHAR(32) NOT NULL,
    password VARCHAR(255) NOT NULL,
    phone VARCHAR(16) NOT NULL DEFAULT '',
    email VARCHAR(64) NOT NULL DEFAULT '',
    create_time DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_user_name (user_name),
    UNIQUE KEY uq_nick_name (nick_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE file_info (
    id BIGINT NOT NULL AUTO_INCREMENT,
    md5 CHAR(32) NOT NULL,
    file_id VARCHAR(256) NOT NULL,
    size BIGINT NOT NULL DEFAULT 0,
    type VARCHAR(32) NOT NULL DEFAULT '',
    count INT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uq_md5 (md5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_file_list (
    id BIGINT NOT NULL AUTO_INCREMENT,
    user VARCHAR(32) NOT NULL,
    md5 CHAR(32) NOT NULL,
    create_time DATETIME NOT NULL,
    file_name VARCHAR(128) NOT NULL,
    shared_status INT NOT NULL DEFAULT 0,
    pv INT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uq_user_md5_file_name (user, md5, file_name),
    KEY idx_md5 (md5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE share_file_list (
    id BIGINT NOT NULL AUTO_INCREMENT,
    user VARCHAR(32) NOT NULL,
    md5 CHAR(32) NOT NULL,
    file_name VARCHAR(128) NOT NULL,
    pv INT NOT NULL DEFAULT 0,
    create_time DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_md5_file_name (md5, file_name),
    KEY idx_pv (pv)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE share_picture_list (
    id BIGINT NOT NULL AUTO_INCREMENT,
    user VARCHAR(32) NOT NULL,
    filemd5 CHAR(32) NOT NULL,
    file_name VARCHAR(128) NOT NULL,
    urlmd5 CHAR(32) NOT NULL,
    pv INT NOT NULL DEFAULT 0,
    create_time DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_urlmd5 (urlmd5),
    KEY idx_user (user)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
    token_hash CHAR(64) NOT NULL,
    user_name VARCHAR(32) NOT NULL,
    client_addr VARCHAR(64) NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (token_hash),
    KEY idx_sessions_user (user_name, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
