-- Whether any live session was opened from an address: nginx asks before it takes an upload body.
ALTER TABLE sessions ADD KEY idx_sessions_addr (client_addr, expires_at);
