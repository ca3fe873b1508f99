-- API tokens (stored as the SHA-256 of the token, never the token itself) and the last run of each scheduled job
-- (so a run missed while the daemon was down runs once at start). Times are RFC 3339 UTC text.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);

CREATE TABLE job_runs (
    job TEXT PRIMARY KEY,
    last_due TEXT NOT NULL,
    last_started TEXT NOT NULL,
    last_finished TEXT,
    last_ok BOOLEAN,
    last_error TEXT,
    runs BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0
);
