-- Batches (files), löpnummer series, which file carried which case, and every inbound SHS message (engine).
-- Times are RFC 3339 UTC text (microseconds, Z), so text order is time order.
CREATE TABLE series (
    intressentkod TEXT NOT NULL,
    filtyp TEXT NOT NULL,
    last_approved BIGINT NOT NULL,
    PRIMARY KEY (intressentkod, filtyp)
);

CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intressentkod TEXT NOT NULL,
    layout TEXT NOT NULL,
    filtyp TEXT NOT NULL,
    lopnummer BIGINT NOT NULL,
    state TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    missiv_name TEXT NOT NULL,
    missiv_bytes BLOB NOT NULL,
    missiv_sha256 TEXT NOT NULL,
    case_count BIGINT NOT NULL,
    record_count BIGINT NOT NULL,
    total_ore BIGINT NOT NULL,
    tx_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    confirmed_at TEXT,
    receipted_at TEXT,
    kvittens_status TEXT,
    kvittens_errors_json TEXT,
    superseded_by BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX files_series ON files (intressentkod, filtyp, lopnummer);
CREATE INDEX files_state ON files (state);

CREATE TABLE file_cases (
    file_id BIGINT NOT NULL REFERENCES files (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (file_id, case_id)
);
CREATE INDEX file_cases_case ON file_cases (case_id);

CREATE TABLE inbound (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id TEXT NOT NULL UNIQUE,
    product TEXT,
    file_name TEXT,
    kind TEXT NOT NULL,
    corr_id TEXT,
    content_id TEXT,
    bytes BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    acked_at TEXT,
    applied_at TEXT,
    apply_error TEXT
);

ALTER TABLE cases ADD COLUMN file_id BIGINT;
ALTER TABLE cases ADD COLUMN rejection_json TEXT;
ALTER TABLE cases ADD COLUMN decision_json TEXT;
CREATE INDEX cases_kind_state ON cases (intressentkod, kind, state);
