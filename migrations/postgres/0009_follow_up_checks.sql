-- Follow-ups checked against the case they concern (fogd-ref-2.md §2.4): intake and the build pass read the
-- nedsättningar already kept for a case by (intressentkod, concerns) once per follow-up (Store::concerned_case);
-- without this index each look-up scanned every follow-up of the intressentkod. Partial: applications (no
-- `concerns`) get no entry, so an import of applications does not pay for it.
CREATE INDEX cases_concerns ON cases (intressentkod, concerns) WHERE concerns IS NOT NULL;
