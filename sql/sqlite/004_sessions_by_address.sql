-- Whether any live session was opened from an address: nginx asks before it takes an upload body.
CREATE INDEX idx_sessions_addr ON sessions (client_addr, expires_at);
