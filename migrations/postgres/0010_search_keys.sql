-- Cheaper search keys (issue 14/19), as migrations/sqlite/0010_search_keys.sql: the console's search reads the
-- reference and the målnummer from `cases` through bytewise (COLLATE "C") indexes, so that a prefix is an index range
-- as in SQLite, and `case_keys` keeps only what lives inside a case's JSON (customer number, a follow-up's
-- målnummer, invoice numbers), once per case. The chart of state changes indexes only the states it draws.
DROP TRIGGER IF EXISTS case_keys_update ON cases;
DROP TABLE case_keys;

CREATE TABLE case_keys (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, key)
);
CREATE INDEX case_keys_key ON case_keys (key);
CREATE INDEX cases_reference_bytewise ON cases ((reference COLLATE "C"));
CREATE INDEX cases_malnummer_bytewise ON cases ((malnummer COLLATE "C")) WHERE malnummer IS NOT NULL;

DROP INDEX case_events_state_at;
CREATE INDEX case_events_charted ON case_events (to_state, at)
    WHERE to_state IN ('sent', 'accepted', 'rejected');

CREATE OR REPLACE FUNCTION case_keys_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb;
BEGIN
    DELETE FROM case_keys WHERE case_id = NEW.id;
    IF NEW.case_json IS NOT NULL THEN
        doc := NEW.case_json::jsonb;
    ELSIF NEW.input_json <> '' THEN
        BEGIN
            doc := NEW.input_json::jsonb;
        EXCEPTION WHEN others THEN
            doc := NULL;
        END;
    END IF;
    IF doc IS NOT NULL AND jsonb_typeof(doc) = 'object' THEN
        INSERT INTO case_keys (case_id, key)
            SELECT DISTINCT NEW.id, v FROM (
                SELECT doc ->> 'customer_number' AS v
                UNION ALL
                SELECT doc ->> 'malnummer'
                UNION ALL
                SELECT c ->> 'invoice_number' FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(doc -> 'claims') = 'array' THEN doc -> 'claims' ELSE '[]'::jsonb END) c
                    WHERE jsonb_typeof(c) = 'object'
            ) k WHERE v IS NOT NULL AND v <> '';
    END IF;
    RETURN NULL;
END
$$;

-- New cases get their keys from the store's insert path (src/store/search_keys.rs); this trigger keeps them when a
-- case's content is replaced. The cases already stored get theirs by rewriting the column.
CREATE TRIGGER case_keys_update AFTER UPDATE OF case_json, input_json ON cases
    FOR EACH ROW EXECUTE FUNCTION case_keys_refresh();
UPDATE cases SET input_json = input_json;
