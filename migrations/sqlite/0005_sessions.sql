-- Sign-in sessions of the ops page. Only the SHA-256 of the cookie value is stored. Sessions survive a restart of
-- fogd serve, and a session is only as alive as its token: it is read joined with api_tokens, so revoking the token
-- ends it (within the 10 s the daemon caches a look-up). `csrf` is the session's anti-forgery token, written into
-- the page's forms. Times are RFC 3339 UTC text.
CREATE TABLE api_sessions (
    id_hash TEXT PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX api_sessions_expires_at ON api_sessions (expires_at);
