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

-- The console's search (index-backed, exact or prefix): every case's reference, målnummer, customer number, the
-- målnummer a follow-up names, and each claim's invoice number, one row per value, kept by triggers whenever those
-- columns are written (insert, replacement, a målnummer from a bekräftelse). An input that is not JSON gives no
-- keys but its reference. New cases get their keys from the store's insert path (src/store/search_keys.rs, the
-- same rule without parsing JSON in SQL for every insert); a trigger keeps them on updates.
CREATE TABLE case_keys (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    key TEXT NOT NULL
);
CREATE INDEX case_keys_key ON case_keys (key);
CREATE INDEX case_keys_case ON case_keys (case_id);
CREATE INDEX files_file_name ON files (file_name);

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

-- The cases already stored.
INSERT INTO case_keys (case_id, key) SELECT id, reference FROM cases;
INSERT INTO case_keys (case_id, key) SELECT id, malnummer FROM cases WHERE malnummer IS NOT NULL;
INSERT INTO case_keys (case_id, key)
    SELECT id, v FROM (
        SELECT id, malnummer AS m, json_extract(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.customer_number') AS v FROM cases
        UNION ALL
        SELECT id, malnummer, json_extract(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.malnummer') FROM cases
        UNION ALL
        SELECT cases.id, cases.malnummer, json_extract(c.value, '$.invoice_number')
            FROM cases, json_each(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.claims') c WHERE c.type = 'object'
    ) WHERE v IS NOT NULL AND v <> '' AND v <> COALESCE(m, '');
