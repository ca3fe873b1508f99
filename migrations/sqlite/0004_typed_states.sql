-- States, statuses, roles and message kinds are the names of fogd's enums (src/domain/state.rs, formats, tokens);
-- CHECK constraints keep anything else out. SQLite cannot add a CHECK to a table, so each table is rebuilt: new
-- table, rows copied with their ids, old table dropped (children before parents, so that no ON DELETE CASCADE
-- fires), new table renamed (which points the children's foreign keys at it), indexes made again. The
-- AUTOINCREMENT counters are carried over so that no id is handed out twice.
-- The allowed names are written as `x = 'a' OR x = 'b' …`, not `x IN ('a', 'b', …)`: in a CHECK, SQLite builds the
-- IN list's lookup table again for every row (1,000,000 rows: 2.2–2.8 s against 0.5–0.6 s without the CHECK and with
-- the OR chain, sqlite3 3.40 on the 2-core machine), which cost an import of 100,000 cases about a third more CPU.

CREATE TABLE cases_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    intressentkod TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'received' OR state = 'invalid' OR state = 'held' OR state = 'journal' OR
        state = 'approved' OR state = 'batched' OR state = 'sent' OR state = 'accepted' OR state = 'rejected' OR
        state = 'registered' OR state = 'decided' OR state = 'withdrawn' OR state = 'closed'),
    input_json TEXT NOT NULL,
    case_json TEXT,
    content_hash TEXT NOT NULL,
    issues_json TEXT NOT NULL DEFAULT '[]',
    hold_reason TEXT,
    concerns TEXT,
    malnummer TEXT,
    source TEXT,
    source_line BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    file_id BIGINT,
    rejection_json TEXT,
    decision_json TEXT,
    UNIQUE (intressentkod, kind, reference)
);
INSERT INTO cases_new (id, reference, kind, intressentkod, state, input_json, case_json, content_hash, issues_json,
    hold_reason, concerns, malnummer, source, source_line, created_at, updated_at, file_id, rejection_json,
    decision_json)
SELECT id, reference, kind, intressentkod, state, input_json, case_json, content_hash, issues_json,
    hold_reason, concerns, malnummer, source, source_line, created_at, updated_at, file_id, rejection_json,
    decision_json
FROM cases ORDER BY id;

CREATE TABLE case_events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases_new (id) ON DELETE CASCADE,
    from_state TEXT CHECK (from_state = 'received' OR from_state = 'invalid' OR from_state = 'held' OR
        from_state = 'journal' OR from_state = 'approved' OR from_state = 'batched' OR from_state = 'sent' OR
        from_state = 'accepted' OR from_state = 'rejected' OR from_state = 'registered' OR
        from_state = 'decided' OR from_state = 'withdrawn' OR from_state = 'closed'),
    to_state TEXT NOT NULL CHECK (to_state = 'received' OR to_state = 'invalid' OR to_state = 'held' OR
        to_state = 'journal' OR to_state = 'approved' OR to_state = 'batched' OR to_state = 'sent' OR
        to_state = 'accepted' OR to_state = 'rejected' OR to_state = 'registered' OR to_state = 'decided' OR
        to_state = 'withdrawn' OR to_state = 'closed'),
    reason TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO case_events_new (id, case_id, from_state, to_state, reason, actor, at)
SELECT id, case_id, from_state, to_state, reason, actor, at FROM case_events ORDER BY id;

CREATE TABLE files_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intressentkod TEXT NOT NULL,
    layout TEXT NOT NULL,
    filtyp TEXT NOT NULL,
    lopnummer BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'built' OR state = 'sending' OR state = 'sent' OR
        state = 'outcome_unknown' OR state = 'receipted_ok' OR state = 'receipted_rejected' OR
        state = 'superseded'),
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
    kvittens_status TEXT CHECK (kvittens_status = 'G' OR kvittens_status = 'U'),
    kvittens_errors_json TEXT,
    superseded_by BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until TEXT
);
INSERT INTO files_new (id, intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, missiv_name,
    missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, created_at, sent_at, confirmed_at,
    receipted_at, kvittens_status, kvittens_errors_json, superseded_by, attempts, next_attempt_at, last_error,
    claimed_by, claimed_until)
SELECT id, intressentkod, layout, filtyp, lopnummer, state, file_name, bytes, sha256, missiv_name,
    missiv_bytes, missiv_sha256, case_count, record_count, total_ore, tx_id, created_at, sent_at, confirmed_at,
    receipted_at, kvittens_status, kvittens_errors_json, superseded_by, attempts, next_attempt_at, last_error,
    claimed_by, claimed_until
FROM files ORDER BY id;

CREATE TABLE file_cases_new (
    file_id BIGINT NOT NULL REFERENCES files_new (id),
    case_id BIGINT NOT NULL REFERENCES cases_new (id),
    PRIMARY KEY (file_id, case_id)
);
INSERT INTO file_cases_new (file_id, case_id) SELECT file_id, case_id FROM file_cases;

CREATE TABLE inbound_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id TEXT NOT NULL UNIQUE,
    product TEXT,
    file_name TEXT,
    kind TEXT NOT NULL CHECK (kind = 'confirm' OR kind = 'error' OR kind = 'kvittens' OR kind = 'bekraftelse' OR
        kind = 'utslag' OR kind = 'unknown'),
    corr_id TEXT,
    content_id TEXT,
    bytes BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    acked_at TEXT,
    applied_at TEXT,
    apply_error TEXT
);
INSERT INTO inbound_new (id, tx_id, product, file_name, kind, corr_id, content_id, bytes, sha256, received_at,
    acked_at, applied_at, apply_error)
SELECT id, tx_id, product, file_name, kind, corr_id, content_id, bytes, sha256, received_at,
    acked_at, applied_at, apply_error
FROM inbound ORDER BY id;

CREATE TABLE api_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role = 'submitter' OR role = 'operator' OR role = 'viewer' OR role = 'admin'),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
INSERT INTO api_tokens_new (id, name, role, token_hash, created_at, revoked_at, last_used_at)
SELECT id, name, role, token_hash, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id;

-- The AUTOINCREMENT counters: the old table's counter may be above its highest id (rows deleted by retention).
INSERT INTO sqlite_sequence (name, seq)
SELECT o.name || '_new', o.seq FROM sqlite_sequence o
WHERE o.name IN ('cases', 'case_events', 'files', 'inbound', 'api_tokens')
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence n WHERE n.name = o.name || '_new');
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT o.seq FROM sqlite_sequence o
    WHERE o.name = substr(sqlite_sequence.name, 1, length(sqlite_sequence.name) - 4)), 0))
WHERE name IN ('cases_new', 'case_events_new', 'files_new', 'inbound_new', 'api_tokens_new');

DROP TABLE file_cases;
DROP TABLE case_events;
DROP TABLE files;
DROP TABLE cases;
DROP TABLE inbound;
DROP TABLE api_tokens;

ALTER TABLE cases_new RENAME TO cases;
ALTER TABLE case_events_new RENAME TO case_events;
ALTER TABLE files_new RENAME TO files;
ALTER TABLE file_cases_new RENAME TO file_cases;
ALTER TABLE inbound_new RENAME TO inbound;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_reference ON cases (reference);
CREATE INDEX cases_kind_state ON cases (intressentkod, kind, state);
CREATE INDEX case_events_case ON case_events (case_id);
CREATE INDEX files_series ON files (intressentkod, filtyp, lopnummer);
CREATE INDEX files_state ON files (state);
CREATE INDEX file_cases_case ON file_cases (case_id);
