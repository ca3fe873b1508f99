-- Cases taken in (intake.md) and the audit trail of their state changes. Times are RFC 3339 UTC text.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    intressentkod TEXT NOT NULL,
    state TEXT NOT NULL,
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
    UNIQUE (intressentkod, kind, reference)
);
CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_reference ON cases (reference);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state TEXT NOT NULL,
    reason TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id);
