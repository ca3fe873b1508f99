-- The case after registration (fogd-ref-2.md §5, issue 16): the new case states in the state CHECKs, the columns
-- a case carries after registration, the ledger and the deadlines.
--
-- States: `disputed`, `handed_to_court`, `written_off`, `enforcement`, `garnishment`, `lodged` join the names of
-- `CaseState` (src/domain/state.rs). SQLite cannot change a CHECK, so `cases` and `case_events` are rebuilt as
-- 0004 did: new table, rows copied with their ids, old tables dropped children first (so that no ON DELETE
-- CASCADE fires), new tables renamed, indexes and the search-key trigger made again, AUTOINCREMENT counters carried
-- over. Every table that points at `cases` (case_events, file_cases, case_notes, case_keys) is rebuilt with it.
-- The names are an OR chain, not an IN list (see 0004: an IN list in a CHECK costs a third more CPU on import).
--
-- New columns of `cases`: `enforcement_malnummer` (the målnummer an utslag continued into as an enforcement case,
-- RAPPORT `vs_malnummer`) and `outcome_json` (what closed or decided it after registration: a slutredovisning's
-- Orsak and Aterstar, a skuldsanering decision, a court; kept beside `decision_json`, which keeps the utslag).

CREATE TABLE cases_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    intressentkod TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'received' OR state = 'invalid' OR state = 'held' OR state = 'journal' OR
        state = 'approved' OR state = 'batched' OR state = 'sent' OR state = 'accepted' OR
        state = 'rejected' OR state = 'registered' OR state = 'decided' OR state = 'withdrawn' OR
        state = 'closed' OR state = 'disputed' OR state = 'handed_to_court' OR
        state = 'written_off' OR state = 'enforcement' OR state = 'garnishment' OR state = 'lodged'),
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
    enforcement_malnummer TEXT,
    outcome_json TEXT,
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
        from_state = 'journal' OR from_state = 'approved' OR from_state = 'batched' OR
        from_state = 'sent' OR from_state = 'accepted' OR from_state = 'rejected' OR
        from_state = 'registered' OR from_state = 'decided' OR from_state = 'withdrawn' OR
        from_state = 'closed' OR from_state = 'disputed' OR from_state = 'handed_to_court' OR
        from_state = 'written_off' OR from_state = 'enforcement' OR from_state = 'garnishment' OR
        from_state = 'lodged'),
    to_state TEXT NOT NULL CHECK (to_state = 'received' OR to_state = 'invalid' OR to_state = 'held' OR to_state = 'journal' OR
        to_state = 'approved' OR to_state = 'batched' OR to_state = 'sent' OR
        to_state = 'accepted' OR to_state = 'rejected' OR to_state = 'registered' OR
        to_state = 'decided' OR to_state = 'withdrawn' OR to_state = 'closed' OR
        to_state = 'disputed' OR to_state = 'handed_to_court' OR to_state = 'written_off' OR
        to_state = 'enforcement' OR to_state = 'garnishment' OR to_state = 'lodged'),
    reason TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO case_events_new (id, case_id, from_state, to_state, reason, actor, at)
SELECT id, case_id, from_state, to_state, reason, actor, at FROM case_events ORDER BY id;

CREATE TABLE file_cases_new (
    file_id BIGINT NOT NULL REFERENCES files (id),
    case_id BIGINT NOT NULL REFERENCES cases_new (id),
    PRIMARY KEY (file_id, case_id)
);
INSERT INTO file_cases_new (file_id, case_id) SELECT file_id, case_id FROM file_cases;

CREATE TABLE case_notes_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases_new (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL
);
INSERT INTO case_notes_new (id, case_id, actor, at, text) SELECT id, case_id, actor, at, text FROM case_notes ORDER BY id;

CREATE TABLE case_keys_new (
    case_id INTEGER NOT NULL REFERENCES cases_new (id) ON DELETE CASCADE,
    key TEXT NOT NULL
);
INSERT INTO case_keys_new (case_id, key) SELECT case_id, key FROM case_keys;

-- The AUTOINCREMENT counters: the old table's counter may be above its highest id (rows deleted by retention).
INSERT INTO sqlite_sequence (name, seq)
SELECT o.name || '_new', o.seq FROM sqlite_sequence o
WHERE o.name IN ('cases', 'case_events', 'case_notes')
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence n WHERE n.name = o.name || '_new');
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT o.seq FROM sqlite_sequence o
    WHERE o.name = substr(sqlite_sequence.name, 1, length(sqlite_sequence.name) - 4)), 0))
WHERE name IN ('cases_new', 'case_events_new', 'case_notes_new');

DROP TABLE case_keys;
DROP TABLE case_notes;
DROP TABLE file_cases;
DROP TABLE case_events;
DROP TABLE cases;

ALTER TABLE cases_new RENAME TO cases;
ALTER TABLE case_events_new RENAME TO case_events;
ALTER TABLE file_cases_new RENAME TO file_cases;
ALTER TABLE case_notes_new RENAME TO case_notes;
ALTER TABLE case_keys_new RENAME TO case_keys;

CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_reference ON cases (reference);
CREATE INDEX cases_kind_state ON cases (intressentkod, kind, state);
CREATE INDEX cases_created_at ON cases (created_at);
CREATE INDEX case_events_case ON case_events (case_id);
CREATE INDEX case_events_state_at ON case_events (to_state, at);
CREATE INDEX file_cases_case ON file_cases (case_id);
CREATE INDEX case_notes_case ON case_notes (case_id);
CREATE INDEX case_keys_key ON case_keys (key);
CREATE INDEX case_keys_case ON case_keys (case_id);

CREATE TRIGGER case_keys_update AFTER UPDATE OF reference, malnummer, case_json, input_json ON cases BEGIN
    DELETE FROM case_keys WHERE case_id = NEW.id;
    INSERT INTO case_keys (case_id, key) VALUES (NEW.id, NEW.reference);
    INSERT INTO case_keys (case_id, key) SELECT NEW.id, NEW.malnummer WHERE NEW.malnummer IS NOT NULL;
    INSERT INTO case_keys (case_id, key)
        SELECT NEW.id, v FROM (
            SELECT json_extract(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.customer_number') AS v
            UNION ALL
            SELECT json_extract(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.malnummer')
            UNION ALL
            SELECT json_extract(c.value, '$.invoice_number') FROM json_each(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.claims') c
                WHERE c.type = 'object'
        ) WHERE v IS NOT NULL AND v <> '' AND v <> COALESCE(NEW.malnummer, '');
END;

-- Inbound message kinds: FOGD-REF-2's documents after registration are stored under their own kind (`MessageKind`),
-- not `unknown`. `inbound` has no children; it is rebuilt the same way.
CREATE TABLE inbound_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id TEXT NOT NULL UNIQUE,
    product TEXT,
    file_name TEXT,
    kind TEXT NOT NULL CHECK (kind = 'confirm' OR kind = 'error' OR kind = 'kvittens' OR kind = 'bekraftelse' OR
        kind = 'utslag' OR kind = 'unknown' OR kind = 'bestridande' OR kind = 'sks_rapport' OR kind = 'lub' OR
        kind = 'delred' OR kind = 'nyttavgar' OR kind = 'slutredovisning'),
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
INSERT INTO sqlite_sequence (name, seq)
SELECT 'inbound_new', o.seq FROM sqlite_sequence o
WHERE o.name = 'inbound' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence n WHERE n.name = 'inbound_new');
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT o.seq FROM sqlite_sequence o WHERE o.name = 'inbound'), 0))
WHERE name = 'inbound_new';
DROP TABLE inbound;
ALTER TABLE inbound_new RENAME TO inbound;

-- The ledger (fogd-ref-2.md §5): what Kronofogden reported about a case's money, one row per reported amount.
-- `kind`: `paid_out` (DELRED Redovisat), `fee` (NYTTAVGAR Belopp), `fees_deducted` (DELRED AvdragnaAvgifter),
-- `remaining` (Aterstar of a DELRED or slutredovisning: the latest is what remains). `amount_ore` in öre, `at` the
-- date it concerns (YYYY-MM-DD), `source` the message and entry it came from (`tx.id#n`): applying a message twice
-- writes nothing twice (the unique key).
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind = 'paid_out' OR kind = 'fee' OR kind = 'fees_deducted' OR kind = 'remaining'),
    amount_ore BIGINT NOT NULL,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (case_id, kind, source)
);
CREATE INDEX ledger_entries_case ON ledger_entries (case_id);

-- Deadlines fogd tracks per case (fogd-ref-2.md §5): `kind` `overlamnande` (a bestridande's sista_dag),
-- `skuldsanering_filing`, `uppskov_end`; `due` YYYY-MM-DD; `source` what set it; `alerted_at` when the alert
-- ahead of it was raised (once).
CREATE TABLE case_deadlines (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind = 'overlamnande' OR kind = 'skuldsanering_filing' OR kind = 'uppskov_end'),
    due TEXT NOT NULL,
    source TEXT NOT NULL,
    alerted_at TEXT,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_deadlines_due ON case_deadlines (due);
