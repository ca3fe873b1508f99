-- Installation settings the database keeps (fogd-ref-2.md §1): `layouts.edition`, the edition of the files this
-- installation builds when `[layouts] edition` is not set. A database that already held cases or files started on
-- FOGD-REF-1 (the only edition before this migration) and keeps it; a new database records the default at the
-- daemon's first start (store::settings).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO settings (key, value)
SELECT 'layouts.edition', 'FOGD-REF-1'
WHERE EXISTS (SELECT 1 FROM cases) OR EXISTS (SELECT 1 FROM files);
