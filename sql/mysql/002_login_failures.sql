-- Failed logins per user name and per client address, for throttling (DECISIONS.md D2).
CREATE TABLE login_failures (
    throttle_key VARCHAR(200) NOT NULL PRIMARY KEY,
    failures INT NOT NULL,
    last_failure BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
