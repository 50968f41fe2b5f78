-- Failed logins per user name and per client address, for throttling (DECISIONS.md D2).
CREATE TABLE login_failures (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure INTEGER NOT NULL
);
