-- The ops console's alerts page and debtor search (issue 17, points 7 and 8), and the kvittens latency chart, as
-- migrations/sqlite/0011_console_alerts_debtors.sql: the alert log (raised, cleared, acknowledged by whom and
-- when), the debtors' search keys keyed (key, case_id) with bytewise order, and the files by receipt time.
CREATE TABLE alert_log (
    id BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    cleared_at TEXT,
    acked_by TEXT,
    acked_at TEXT
);
CREATE INDEX alert_log_open ON alert_log (key) WHERE cleared_at IS NULL;

-- No index by case and no foreign key, as in SQLite: replacements delete by (key, case_id).
CREATE TABLE debtor_keys (
    key TEXT COLLATE "C" NOT NULL,
    case_id BIGINT NOT NULL,
    PRIMARY KEY (key, case_id)
);

CREATE INDEX files_receipted_at ON files (receipted_at) WHERE receipted_at IS NOT NULL;
