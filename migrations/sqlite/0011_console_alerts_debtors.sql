-- The ops console's alerts page and debtor search (issue 17, points 7 and 8), and the kvittens latency chart.
--
-- `alert_log`: every alert raised and cleared (src/alerts.rs writes it where it notifies), one row per raising; a
-- new message for a key that is still open (a certificate crossing from 60 to 30 days) closes the old row and opens
-- a new one, so each notice can be acknowledged. An acknowledgement is audited: who (`acked_by`) and when
-- (`acked_at`). Times are RFC 3339 UTC text.
CREATE TABLE alert_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    cleared_at TEXT,
    acked_by TEXT,
    acked_at TEXT
);
-- The open alerts (few) by key.
CREATE INDEX alert_log_open ON alert_log (key) WHERE cleared_at IS NULL;

-- `debtor_keys`: each debtor's identity number (`id:` + the 12 stored digits) and name (`name:` + lower case, inner
-- whitespace as one space) per case, for the operators' exact search by debtor. Keyed (key, case_id) so that a
-- search is a range of the table itself; written by the store's insert path in one multi-row INSERT per chunk and
-- replaced by the store when a case's content is (src/store/debtor_keys.rs), deleting the old content's keys by
-- this same key, so the table has no second index to keep up on import. No foreign key either: cases are never
-- deleted (retention clears bytes only), and a key of a case that is gone finds nothing (the search reads `cases`).
CREATE TABLE debtor_keys (
    key TEXT NOT NULL,
    case_id INTEGER NOT NULL,
    PRIMARY KEY (key, case_id)
) WITHOUT ROWID;

-- The kvittens latency chart reads the files receipted in the last 30 days.
CREATE INDEX files_receipted_at ON files (receipted_at) WHERE receipted_at IS NOT NULL;
