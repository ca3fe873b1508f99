-- Cheaper search keys (issue 14/19): an import of 100,000 cases took 1.86-1.96 s with 0006's keys against 1.06-1.19 s
-- before the console (examples/bench_import.rs). The console's search reads the reference and the målnummer from
-- `cases`' own indexes (the reference index of 0001, a partial målnummer index here that holds no entry for the
-- cases still without one), so `case_keys` keeps only what lives inside a case's JSON: the customer number, the
-- målnummer a follow-up names and each claim's invoice number, once per case. It is a WITHOUT ROWID table keyed by
-- (case_id, key), so that rows are appended in case order and found by case (cascade, updates) without an index of
-- their own; `case_keys_key` is the search's range. The chart of state changes indexes only the states it draws.
DROP TRIGGER IF EXISTS case_keys_update;
DROP TABLE case_keys;

CREATE TABLE case_keys (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    PRIMARY KEY (case_id, key)
) WITHOUT ROWID;
CREATE INDEX case_keys_key ON case_keys (key);
CREATE INDEX cases_malnummer ON cases (malnummer) WHERE malnummer IS NOT NULL;

DROP INDEX case_events_state_at;
CREATE INDEX case_events_charted ON case_events (to_state, at)
    WHERE to_state IN ('sent', 'accepted', 'rejected');

-- New cases get their keys from the store's insert path (src/store/search_keys.rs); this trigger keeps them when a
-- case's content is replaced.
CREATE TRIGGER case_keys_update AFTER UPDATE OF case_json, input_json ON cases BEGIN
    DELETE FROM case_keys WHERE case_id = NEW.id;
    INSERT INTO case_keys (case_id, key)
        SELECT DISTINCT NEW.id, v FROM (
            SELECT json_extract(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.customer_number') AS v
            UNION ALL
            SELECT json_extract(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.malnummer')
            UNION ALL
            SELECT json_extract(c.value, '$.invoice_number') FROM json_each(CASE WHEN json_valid(COALESCE(NEW.case_json, NEW.input_json)) THEN COALESCE(NEW.case_json, NEW.input_json) ELSE '{}' END, '$.claims') c
                WHERE c.type = 'object'
        ) WHERE v IS NOT NULL AND v <> '';
END;

-- The cases already stored.
INSERT INTO case_keys (case_id, key)
    SELECT DISTINCT id, v FROM (
        SELECT id, json_extract(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.customer_number') AS v FROM cases
        UNION ALL
        SELECT id, json_extract(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.malnummer') FROM cases
        UNION ALL
        SELECT cases.id, json_extract(c.value, '$.invoice_number')
            FROM cases, json_each(CASE WHEN json_valid(COALESCE(cases.case_json, cases.input_json)) THEN COALESCE(cases.case_json, cases.input_json) ELSE '{}' END, '$.claims') c WHERE c.type = 'object'
    ) WHERE v IS NOT NULL AND v <> '';
