//! Cases and their audit trail (`cases`, `case_events`): idempotent intake (intake.md §1), journal transitions,
//! look-ups for status.

use super::moves::{insert_creation_events, insert_events, EventRow};
use super::types::StoredTime;
use super::{with_pool, with_tx, Dialect, Store, StoreError};
use crate::domain::state::{Cause, Transition};
use crate::domain::validate::concerned::{reduction_of, ConcernedCase};
use crate::domain::validate::Issue;
use crate::domain::{Case, CaseState};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// Rows per multi-row INSERT: 15 parameters each, so 15,000 per statement, under SQLite's (32,766) and
/// PostgreSQL's (65,535) limits. Larger statements mean fewer round trips to the SQLite worker thread.
const INSERT_CHUNK: usize = 1000;

/// The columns [`Store::upsert_cases_in`] inserts, in the order of its rows' cells.
const INSERT_COLUMNS: [&str; 15] = [
    "reference",
    "kind",
    "intressentkod",
    "state",
    "input_json",
    "case_json",
    "content_hash",
    "issues_json",
    "hold_reason",
    "concerns",
    "malnummer",
    "source",
    "source_line",
    "created_at",
    "updated_at",
];

/// One value of a case row to insert: borrowed text, text moved out of the case (its JSON), or an integer.
#[derive(Debug, PartialEq, Eq)]
enum InsertCell<'a> {
    Text(Option<&'a str>),
    Owned(Option<String>),
    Int(Option<i64>),
}

/// For each column, whether every row of the chunk has the same value in it (then it is bound once, not once per
/// row: an import's rows share their kind, intressentkod, state, source, times and empty issues, and binding and
/// copying fifteen values per row was a good part of an import's cost). The reference is never shared, so that
/// each VALUES row keeps at least one column. The statement's text depends on which columns are shared; an import
/// meets few such patterns, each prepared once and cached.
fn shared_columns<const N: usize>(rows: &[[InsertCell<'_>; N]]) -> [bool; N] {
    let mut shared = [true; N];
    shared[0] = false;
    let Some((first, rest)) = rows.split_first() else {
        return shared;
    };
    // A column's cells are all of one kind (borrowed, owned or integer), so comparing cells compares values.
    for (j, s) in shared.iter_mut().enumerate().skip(1) {
        *s = rest.iter().all(|r| r[j] == first[j]);
    }
    shared
}

/// Binds one [`InsertCell`] on a query builder or a VALUES row (`push_bind` with the cell's own type).
macro_rules! push_cell {
    ($b:expr, $cell:expr) => {
        match $cell {
            InsertCell::Text(t) => {
                $b.push_bind(t);
            }
            InsertCell::Owned(t) => {
                $b.push_bind(t);
            }
            InsertCell::Int(n) => {
                $b.push_bind(n);
            }
        }
    };
}

/// A case to take in, prepared by the engine (validated, serialised, hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The agency's reference.
    pub reference: String,
    /// Kind name (as given when the kind is unknown, so that an invalid case is still kept).
    pub kind: String,
    pub intressentkod: String,
    /// `journal`, `held` or `invalid`.
    pub state: CaseState,
    /// The input as read (JSON), kept only when there is no validated case (an invalid case), and empty
    /// otherwise: the validated case holds everything the input said, normalised, and storing both doubled the bytes
    /// an import writes. The content hash is still taken over the input JSON.
    pub input_json: String,
    /// The validated case (JSON), when valid.
    pub case_json: Option<String>,
    /// SHA-256 (hex) of the content that decides "same content" (see the engine).
    pub content_hash: String,
    /// The issues (JSON array).
    pub issues_json: String,
    /// Why it is held, if it is.
    pub hold_reason: Option<String>,
    /// Follow-ups: the case concerned.
    pub concerns: Option<String>,
    /// Målnummer, if known.
    pub malnummer: Option<String>,
    /// Source file name (or `api`).
    pub source: Option<String>,
    /// Line in the source.
    pub source_line: Option<i64>,
    /// The console's search keys (`case_keys`), computed by the producer from the typed case or input
    /// ([`super::keys_of`]); `None` makes the store find them in the case's JSON (same rule, one parse per case).
    pub search_keys: Option<Vec<String>>,
    /// The debtor search keys (`debtor_keys`), computed by the producer from the typed case
    /// ([`super::debtor_keys::keys_of_debtors`]); `None` makes the store find them in the case's JSON.
    pub debtor_keys: Option<Vec<String>>,
}

/// What an upsert did with one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// A new case.
    Inserted {
        /// Its id.
        id: i64,
    },
    /// The same content was already there: nothing changed.
    Unchanged {
        /// Its id.
        id: i64,
        /// Its state.
        state: CaseState,
    },
    /// Different content replaced a case that was still replaceable.
    Replaced {
        /// Its id.
        id: i64,
        /// The state it had.
        from: CaseState,
    },
    /// Different content for a case that is already on its way (sent or later): refused.
    Refused {
        /// Its id.
        id: i64,
        /// Its state.
        state: CaseState,
    },
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    /// Row id.
    pub id: i64,
    pub reference: String,
    /// Kind name.
    pub kind: String,
    pub intressentkod: String,
    pub state: CaseState,
    /// Input JSON; empty when `case_json` holds the validated case (see [`NewCase::input_json`]).
    pub input_json: String,
    /// Validated case JSON.
    pub case_json: Option<String>,
    pub content_hash: String,
    pub issues_json: String,
    /// Why held.
    pub hold_reason: Option<String>,
    /// Case concerned (follow-ups).
    pub concerns: Option<String>,
    /// Målnummer.
    pub malnummer: Option<String>,
    /// Source file.
    pub source: Option<String>,
    /// Line in the source.
    pub source_line: Option<i64>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl CaseRow {
    /// The validated case, if the case is valid.
    pub fn case(&self) -> Result<Option<Case>, StoreError> {
        self.case_json
            .as_deref()
            .map(|j| {
                serde_json::from_str(j).map_err(|source| StoreError::Corrupt {
                    table: "cases",
                    id: self.id,
                    column: "case_json",
                    source,
                })
            })
            .transpose()
    }

    /// The issues found at intake.
    pub fn issues(&self) -> Result<Vec<Issue>, StoreError> {
        serde_json::from_str(&self.issues_json).map_err(|source| StoreError::Corrupt {
            table: "cases",
            id: self.id,
            column: "issues_json",
            source,
        })
    }
}

/// A case's key columns (for reports of what changed, without loading the case's JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseKey {
    /// Row id.
    pub id: i64,
    pub reference: String,
    /// Kind name.
    pub kind: String,
}

/// One state change of a case (audit trail).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseEvent {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// State before (`None` when the case was created).
    pub from_state: Option<CaseState>,
    /// State after.
    pub to_state: CaseState,
    /// Why (hold reason, "replaced", …).
    pub reason: Option<String>,
    /// Who: `import`, `api`, `operator`, …
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
}

pub(crate) const CASE_COLUMNS: &str =
    "id, reference, kind, intressentkod, state, input_json, case_json, content_hash, \
     issues_json, hold_reason, concerns, malnummer, source, source_line, created_at, updated_at";

/// A stored case found by reference at upsert: (intressentkod, kind, id, state, content hash).
type StoredKey = (String, String, i64, CaseState, String);

impl Store {
    /// Takes in a batch of cases in one transaction, idempotently per (intressentkod, kind, reference): a new case
    /// is inserted; the same content leaves the stored case alone; different content replaces a case that is still
    /// replaceable ([`CaseState::is_replaceable`]) and is refused otherwise. Every insert and replacement records a
    /// `case_events` row. A key must not appear twice in one batch (the engine splits batches there).
    pub async fn upsert_cases(
        &self,
        batch: &[NewCase],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut session = self.write_session().await?;
        let mut batch = batch.to_vec();
        self.upsert_cases_in(&mut session, &mut batch, actor, now)
            .await
    }

    /// [`Store::upsert_cases`] on the connection of `session`, for a run of batches (an import). The JSON of the
    /// cases it inserts is moved into the statement (the bound values cross to the database thread, which would
    /// otherwise copy them): afterwards their `input_json` and `content_hash` are empty and `case_json` is `None`.
    pub async fn upsert_cases_in(
        &self,
        session: &mut super::WriteSession,
        batch: &mut [NewCase],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let at = now;
        let now = StoredTime(now).text();
        let mut stx = session.begin().await?;
        let mut events: Vec<EventRow> = Vec::new();
        let outcomes = with_tx!(&mut stx, |tx, DB| {
            // Existing cases with these references, by reference: (intressentkod, kind, id, state, hash). Looked up
            // with the batch's own strings, not copies of them (an import looks up every case).
            let mut existing: HashMap<String, Vec<StoredKey>> = HashMap::new();
            // The references go in as one JSON array (one bound value, not one per case: binding is a good part
            // of an import's cost), unpacked by the database.
            let references: Vec<&str> = batch.iter().map(|c| c.reference.as_str()).collect();
            let references =
                serde_json::to_string(&references).map_err(|source| StoreError::Serialise {
                    what: "references",
                    source,
                })?;
            let sql = format!(
                "SELECT id, intressentkod, kind, reference, state, content_hash FROM cases \
                 WHERE reference IN ({})",
                <DB as Dialect>::JSON_TEXT_ELEMENTS
            );
            let rows: Vec<(i64, String, String, String, CaseState, String)> = sqlx::query_as(&sql)
                .bind(references)
                .fetch_all(&mut **tx)
                .await?;
            for (id, intressentkod, kind, reference, state, hash) in rows {
                existing
                    .entry(reference)
                    .or_default()
                    .push((intressentkod, kind, id, state, hash));
            }
            let mut outcomes: Vec<Option<UpsertOutcome>> = vec![None; batch.len()];
            // The debtor search keys of replaced cases (see `debtor_keys`).
            let mut replaced_debtors: Vec<super::debtor_keys::Replaced> = Vec::new();
            let mut to_insert: Vec<usize> = Vec::new();
            for (i, c) in batch.iter().enumerate() {
                let found = existing.get(c.reference.as_str()).and_then(|rows| {
                    rows.iter()
                        .find(|(intressentkod, kind, ..)| {
                            *intressentkod == c.intressentkod && *kind == c.kind
                        })
                        .map(|(_, _, id, state, hash)| (id, state, hash))
                });
                match found {
                    None => to_insert.push(i),
                    Some((id, state, hash)) => {
                        let state = *state;
                        let replaceable = Transition::find(Cause::Resubmitted, c.state)
                            .ok_or(StoreError::NoTransition {
                                cause: Cause::Resubmitted,
                                to: c.state,
                            })?
                            .from
                            .contains(&state);
                        if *hash == c.content_hash {
                            outcomes[i] = Some(UpsertOutcome::Unchanged { id: *id, state });
                        } else if replaceable {
                            // The old content's debtor keys, to delete by the table's own key.
                            let old = sqlx::query_scalar(super::debtor_keys::OLD_JSON_SQL)
                                .bind(*id)
                                .fetch_one(&mut **tx)
                                .await?;
                            replaced_debtors.push(super::debtor_keys::replaced(*id, old, c));
                            sqlx::query(
                                "UPDATE cases SET state = $1, input_json = $2, case_json = $3, content_hash = $4, \
                                 issues_json = $5, hold_reason = $6, concerns = $7, malnummer = $8, source = $9, \
                                 source_line = $10, updated_at = $11 WHERE id = $12",
                            )
                            .bind(c.state)
                            .bind(&c.input_json)
                            .bind(&c.case_json)
                            .bind(&c.content_hash)
                            .bind(&c.issues_json)
                            .bind(&c.hold_reason)
                            .bind(&c.concerns)
                            .bind(&c.malnummer)
                            .bind(&c.source)
                            .bind(c.source_line)
                            .bind(&now)
                            .bind(*id)
                            .execute(&mut **tx)
                            .await?;
                            events.push(EventRow {
                                case_id: *id,
                                from: Some(state),
                                to: c.state,
                                reason: Some(match &c.hold_reason {
                                    Some(r) => format!("replaced by new content; {r}"),
                                    None => "replaced by new content".to_string(),
                                }),
                            });
                            outcomes[i] = Some(UpsertOutcome::Replaced {
                                id: *id,
                                from: state,
                            });
                        } else {
                            outcomes[i] = Some(UpsertOutcome::Refused { id: *id, state });
                        }
                    }
                }
            }
            let is_sqlite = <DB as Dialect>::IDS_BY_RANGE;
            // SQLite: the id ranges of the inserted rows, whose creation events are written by one INSERT … SELECT
            // each below instead of six bound values per case.
            let mut inserted_ranges: Vec<(i64, i64)> = Vec::new();
            // The console's search keys of the inserted cases (see `search_keys`).
            let mut key_rows: Vec<(i64, String)> = Vec::new();
            let mut debtor_rows: Vec<(i64, String)> = Vec::new();
            for chunk in to_insert.chunks(INSERT_CHUNK) {
                // The values of the chunk's rows, column by column (see `InsertCell`); the JSON and the hash are
                // moved, not copied.
                let chunk_keys: Vec<Vec<String>> = chunk
                    .iter()
                    .map(|&i| super::search_keys::search_keys(&mut batch[i]))
                    .collect();
                let chunk_debtors: Vec<Vec<String>> = chunk
                    .iter()
                    .map(|&i| super::debtor_keys::debtor_keys(&batch[i]))
                    .collect();
                let rows: Vec<[InsertCell<'_>; INSERT_COLUMNS.len()]> = {
                    let mut moved: Vec<(String, Option<String>, String)> = chunk
                        .iter()
                        .map(|&i| {
                            let c = &mut batch[i];
                            (
                                std::mem::take(&mut c.input_json),
                                c.case_json.take(),
                                std::mem::take(&mut c.content_hash),
                            )
                        })
                        .collect();
                    let batch = &*batch;
                    chunk
                        .iter()
                        .zip(moved.drain(..))
                        .map(|(&i, (input_json, case_json, content_hash))| {
                            let c = &batch[i];
                            [
                                InsertCell::Text(Some(c.reference.as_str())),
                                InsertCell::Text(Some(c.kind.as_str())),
                                InsertCell::Text(Some(c.intressentkod.as_str())),
                                InsertCell::Text(Some(c.state.as_str())),
                                InsertCell::Owned(Some(input_json)),
                                InsertCell::Owned(case_json),
                                InsertCell::Owned(Some(content_hash)),
                                InsertCell::Text(Some(c.issues_json.as_str())),
                                InsertCell::Text(c.hold_reason.as_deref()),
                                InsertCell::Text(c.concerns.as_deref()),
                                InsertCell::Text(c.malnummer.as_deref()),
                                InsertCell::Text(c.source.as_deref()),
                                InsertCell::Int(c.source_line),
                                InsertCell::Text(Some(now.as_str())),
                                InsertCell::Text(Some(now.as_str())),
                            ]
                        })
                        .collect()
                };
                let shared = shared_columns(&rows);
                let mut qb = QueryBuilder::<DB>::new(format!(
                    "INSERT INTO cases ({}) SELECT ",
                    INSERT_COLUMNS.join(", ")
                ));
                // Columns with one value in the whole chunk are bound once, in the SELECT list; the others come
                // from the VALUES rows (`v.column1`, … in the order they appear there). Anonymous placeholders,
                // one per value, in the order of the text: SQLite looks numbered (`$n`) parameters up by a linear
                // search each time one is bound, so with thousands in one statement a shared `$1` for the
                // batch's time made an import twenty times slower.
                let mut per_row = 0usize;
                let mut rows = rows.into_iter();
                let mut first = rows.next();
                for (j, is_shared) in shared.iter().enumerate() {
                    if j > 0 {
                        qb.push(", ");
                    }
                    if *is_shared {
                        if let Some(cell) = first.as_mut().and_then(|r| r.get_mut(j)) {
                            push_cell!(qb, std::mem::replace(cell, InsertCell::Int(None)));
                        }
                    } else {
                        per_row += 1;
                        qb.push(format!("v.column{per_row}"));
                    }
                }
                qb.push(" FROM (");
                qb.push_values(first.into_iter().chain(rows), |mut b, row| {
                    for (cell, is_shared) in row.into_iter().zip(shared) {
                        if !is_shared {
                            push_cell!(b, cell);
                        }
                    }
                });
                qb.push(") AS v");
                let ids: Vec<i64> = if is_sqlite {
                    // One statement inserting n rows into a table with an AUTOINCREMENT key, inside a write
                    // transaction and with no conflicts (the keys were looked up above): SQLite numbers the rows
                    // max+1, max+2, … in VALUES order, so the ids are the n ending at last_insert_rowid. This avoids
                    // RETURNING, whose rows sqlx-sqlite hands over one by one between threads (a third of the
                    // writer's time in profiles).
                    let done = qb.build().execute(&mut **tx).await?;
                    let n = chunk.len() as i64;
                    match <DB as Dialect>::last_insert_id(&done) {
                        Some(last) if done.rows_affected() == n as u64 => {
                            inserted_ranges.push((last - n + 1, last));
                            (last - n + 1..=last).collect()
                        }
                        _ => {
                            return Err(StoreError::Invariant(format!(
                                "multi-row insert of {n} cases affected {} rows",
                                done.rows_affected()
                            )))
                        }
                    }
                } else {
                    qb.push(" RETURNING id, intressentkod, kind, reference");
                    let rows: Vec<(i64, String, String, String)> =
                        qb.build_query_as().fetch_all(&mut **tx).await?;
                    let mut by_key: HashMap<(String, String, String), i64> = rows
                        .into_iter()
                        .map(|(id, intressentkod, kind, r)| ((intressentkod, kind, r), id))
                        .collect();
                    chunk
                        .iter()
                        .map(|&i| {
                            let c = &batch[i];
                            let key =
                                (c.intressentkod.clone(), c.kind.clone(), c.reference.clone());
                            by_key.remove(&key).ok_or_else(|| {
                                StoreError::Invariant(format!(
                                    "insert of {} returned no id",
                                    c.reference
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
                for (((&i, id), keys), debtors) in
                    chunk.iter().zip(ids).zip(chunk_keys).zip(chunk_debtors)
                {
                    let c = &batch[i];
                    outcomes[i] = Some(UpsertOutcome::Inserted { id });
                    key_rows.extend(keys.into_iter().map(|k| (id, k)));
                    debtor_rows.extend(debtors.into_iter().map(|k| (id, k)));
                    if is_sqlite {
                        continue; // its event comes from `inserted_ranges`
                    }
                    events.push(EventRow {
                        case_id: id,
                        from: None,
                        to: c.state,
                        reason: c.hold_reason.clone(),
                    });
                }
            }
            let outcomes: Vec<UpsertOutcome> = outcomes
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    o.ok_or_else(|| {
                        StoreError::Invariant(format!("no outcome for {}", batch[i].reference))
                    })
                })
                .collect::<Result<_, _>>()?;
            (
                outcomes,
                inserted_ranges,
                key_rows,
                debtor_rows,
                replaced_debtors,
            )
        });
        let (outcomes, inserted_ranges, key_rows, debtor_rows, replaced_debtors) = outcomes;
        super::search_keys::insert_case_keys(&mut stx, &key_rows).await?;
        super::debtor_keys::insert_debtor_keys(&mut stx, &debtor_rows).await?;
        super::debtor_keys::replace_debtor_keys(&mut stx, &replaced_debtors).await?;
        for (first, last) in inserted_ranges {
            insert_creation_events(&mut stx, first, last, actor, at).await?;
        }
        insert_events(&mut stx, &events, actor, at).await?;
        stx.commit().await?;
        Ok(outcomes)
    }

    /// Cases with this reference (one per kind and intressentkod), optionally only of one intressentkod.
    pub async fn cases_by_reference(
        &self,
        reference: &str,
        intressentkod: Option<&str>,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE reference = $1 AND ($2 IS NULL OR intressentkod = $2) ORDER BY id"
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(reference)
                .bind(intressentkod)
                .fetch_all(pool)
                .await?
        }))
    }

    /// A case by id.
    pub async fn case_by_id(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// Cases in `states` (all cases when empty), oldest first.
    pub async fn list_cases(&self, states: &[CaseState]) -> Result<Vec<CaseRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(format!("SELECT {CASE_COLUMNS} FROM cases"));
            if !states.is_empty() {
                qb.push(" WHERE state IN (");
                let mut sep = qb.separated(", ");
                for s in states {
                    sep.push_bind(*s);
                }
                qb.push(")");
            }
            qb.push(" ORDER BY id");
            qb.build_query_as().fetch_all(pool).await?
        }))
    }

    /// Counts cases per state.
    pub async fn count_by_state(&self) -> Result<Vec<(CaseState, i64)>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT state, COUNT(*) FROM cases GROUP BY state ORDER BY state")
                .fetch_all(pool)
                .await?
        }))
    }

    /// The audit trail of a case, oldest first.
    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, case_id, from_state, to_state, reason, actor, at FROM case_events WHERE case_id = $1 ORDER BY id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Up to `limit` cases in `state` with id above `after`, ascending: key columns only, so that a command
    /// acting on every case of a state (`journal approve --all`) pages through them in bounded memory.
    pub async fn case_keys_page(
        &self,
        state: CaseState,
        after: i64,
        limit: i64,
    ) -> Result<Vec<CaseKey>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, reference, kind FROM cases WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(state)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Up to `limit` whole cases with id above `after`, ascending: `fogd status` pages through every case in
    /// bounded memory instead of loading them all.
    pub async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id > $1 ORDER BY id LIMIT $2");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The held cases whose hold reason names `rule` (e.g. `interest.rate_unknown`), oldest first.
    pub async fn held_with_rule(&self, rule: &str) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE state = $1 AND hold_reason LIKE $2 ORDER BY id"
        );
        let pattern = format!("%{rule}:%");
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(CaseState::Held)
                .bind(&pattern)
                .fetch_all(pool)
                .await?
        }))
    }

    /// What fogd knows of the case a follow-up concerns (fogd-ref-2.md §2.4): the case (intressentkod, `kind`,
    /// `reference`), if it exists, with its state and content, and the nedsättningar already kept for it that are
    /// not invalid or rejected, leaving out the follow-up `except` itself (a replacement of it).
    pub async fn concerned_case(
        &self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
        except: &str,
    ) -> Result<Option<ConcernedCase>, StoreError> {
        let row: Option<ConcernedRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(CONCERNED_SQL)
                .bind(intressentkod)
                .bind(kind)
                .bind(reference)
                .fetch_optional(pool)
                .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let earlier: Vec<(i64, Option<String>)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(REDUCTIONS_SQL)
                .bind(intressentkod)
                .bind(crate::domain::CaseKind::Nedsattning.as_str())
                .bind(reference)
                .bind(except)
                .bind(CaseState::Invalid)
                .bind(CaseState::Rejected)
                .fetch_all(pool)
                .await?
        });
        concerned_from(reference, row, earlier).map(Some)
    }

    /// The målnummer of the case (intressentkod, kind, reference), if it exists and has one (status: whether a
    /// follow-up still waits for the målnummer of the case it concerns).
    pub async fn malnummer_of(
        &self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
    ) -> Result<Option<String>, StoreError> {
        let r: Option<(Option<String>,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT malnummer FROM cases WHERE intressentkod = $1 AND kind = $2 AND reference = $3",
            )
            .bind(intressentkod)
            .bind(kind)
            .bind(reference)
            .fetch_optional(pool)
            .await?
        });
        Ok(r.and_then(|r| r.0))
    }
}

/// The concerned case's row for [`Store::concerned_case`]: id, state, validated case.
type ConcernedRow = (i64, CaseState, Option<String>);

const CONCERNED_SQL: &str =
    "SELECT id, state, case_json FROM cases WHERE intressentkod = $1 AND kind = $2 AND reference = $3";

pub(crate) const REDUCTIONS_SQL: &str =
    "SELECT id, case_json FROM cases WHERE intressentkod = $1 AND kind = $2 AND concerns = $3 \
     AND reference <> $4 AND state <> $5 AND state <> $6 ORDER BY id";

/// A [`ConcernedCase`] from its row and the rows of the nedsättningar kept for it.
fn concerned_from(
    reference: &str,
    (id, state, case_json): ConcernedRow,
    earlier: Vec<(i64, Option<String>)>,
) -> Result<ConcernedCase, StoreError> {
    let corrupt = |id: i64, source| StoreError::Corrupt {
        table: "cases",
        id,
        column: "case_json",
        source,
    };
    let case: Option<Case> = case_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt(id, e))?;
    let mut reductions = Vec::with_capacity(earlier.len());
    for (id, json) in earlier {
        let Some(json) = json else { continue };
        let neds: Case = serde_json::from_str(&json).map_err(|e| corrupt(id, e))?;
        reductions.extend(reduction_of(&neds));
    }
    Ok(ConcernedCase {
        reference: reference.to_string(),
        state,
        case,
        reductions,
    })
}

impl super::StoreTx<'_> {
    /// [`Store::concerned_case`] inside this transaction (the build pass checks follow-ups before it files them).
    pub async fn concerned_case(
        &mut self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
        except: &str,
    ) -> Result<Option<ConcernedCase>, StoreError> {
        let row: Option<ConcernedRow> = with_tx!(self, |t, DB| {
            sqlx::query_as(CONCERNED_SQL)
                .bind(intressentkod)
                .bind(kind)
                .bind(reference)
                .fetch_optional(&mut **t)
                .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let earlier: Vec<(i64, Option<String>)> = with_tx!(self, |t, DB| {
            sqlx::query_as(REDUCTIONS_SQL)
                .bind(intressentkod)
                .bind(crate::domain::CaseKind::Nedsattning.as_str())
                .bind(reference)
                .bind(except)
                .bind(CaseState::Invalid)
                .bind(CaseState::Rejected)
                .fetch_all(&mut **t)
                .await?
        });
        concerned_from(reference, row, earlier).map(Some)
    }
}
