-- The ops console (issue 17): notes operators add to a case (audited: who, when, what; shown on the case page), and
-- the indexes its views read through: state changes by state and time (the overview's chart of cases sent,
-- accepted and rejected per day) and cases by creation time (the cases list's date range). Times are RFC 3339 UTC
-- text.
CREATE TABLE case_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL
);

CREATE INDEX case_notes_case ON case_notes (case_id);
CREATE INDEX case_events_state_at ON case_events (to_state, at);
CREATE INDEX cases_created_at ON cases (created_at);
