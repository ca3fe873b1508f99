//! The one way a case changes state after intake: [`StoreTx::move_cases`] moves a selection of cases (one case,
//! a list of ids, or every case a file carried) under a row of the domain's transition table
//! ([`crate::domain::state::TRANSITIONS`]) and writes one `case_events` row per case moved. The intake's upsert
//! writes its creation and replacement events through [`insert_events`] too; nothing else writes `case_events`.
//!
//! A move is three set-based statements, whatever the number of cases: on PostgreSQL the rows are first locked
//! (`FOR UPDATE`, so the event rows and the update see the same set even with a second fogd; SQLite's write
//! transactions hold the single writer lock already), then one `INSERT … SELECT` writes the events with each
//! case's previous state, then one `UPDATE` moves them. Per-case statements (select, update, insert event: three
//! round trips per case) made build, "file sent" and kvittens apply the bottleneck of a 100,000-case run. Lists
//! of ids are bound in chunks of [`ID_CHUNK`] (well under both backends' parameter limits).

use super::cases::CaseKey;
use super::types::StoredTime;
use super::{with_tx, Dialect, Store, StoreError, StoreTx};
use crate::domain::state::{Cause, Transition};
use crate::domain::CaseState;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

/// Ids bound per statement.
pub const ID_CHUNK: usize = 500;

/// Which cases a move considers (those of them in the transition's from-states move).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseSelection<'a> {
    /// One case.
    One(i64),
    /// These cases.
    Ids(&'a [i64]),
    /// Every case the file carried (`file_cases`).
    File(i64),
    /// The cases with ids `first..=last` (a range bound as two values, not one value per case: `approve --all`
    /// moves pages of tens of thousands of cases, see [`StoreTx::move_page`]).
    IdRange {
        /// Lowest id.
        first: i64,
        /// Highest id.
        last: i64,
    },
}

/// Columns set together with a state change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseUpdate {
    /// Set `file_id` (`Some(None)` clears it).
    pub file_id: Option<Option<i64>>,
    /// Set `hold_reason` (`Some(None)` clears it).
    pub hold_reason: Option<Option<String>>,
    /// Set `rejection_json`.
    pub rejection_json: Option<String>,
    /// Set `malnummer`.
    pub malnummer: Option<String>,
    /// Set `decision_json`.
    pub decision_json: Option<String>,
    /// Set `issues_json`.
    pub issues_json: Option<String>,
    /// Set `enforcement_malnummer` (an utslag gone to enforcement).
    pub enforcement_malnummer: Option<String>,
    /// Set `outcome_json` (what closed or decided the case after registration).
    pub outcome_json: Option<String>,
}

/// A move: the transition-table row (`cause`, `to`), the audit event's reason and actor, and the columns to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMove<'a> {
    /// Why; with `to`, names the row of the transition table.
    pub cause: Cause,
    /// The state the cases go to.
    pub to: CaseState,
    /// Narrows the row's from-states (`approve --all` moves journal cases only, never held ones).
    pub only_from: Option<&'a [CaseState]>,
    /// The event's reason.
    pub reason: Option<&'a str>,
    /// Who (`engine`, `kvittens`, an operator, …).
    pub actor: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// Columns set with the state.
    pub update: CaseUpdate,
}

impl<'a> CaseMove<'a> {
    /// A move under (`cause`, `to`) by `actor` at `at`, without reason or extra columns.
    pub fn new(cause: Cause, to: CaseState, actor: &'a str, at: DateTime<Utc>) -> CaseMove<'a> {
        CaseMove {
            cause,
            to,
            only_from: None,
            reason: None,
            actor,
            at,
            update: CaseUpdate::default(),
        }
    }

    /// With the event's reason.
    pub fn reason(mut self, reason: Option<&'a str>) -> CaseMove<'a> {
        self.reason = reason;
        self
    }

    /// With columns set together with the state.
    pub fn update(mut self, update: CaseUpdate) -> CaseMove<'a> {
        self.update = update;
        self
    }

    /// Only from these of the row's from-states.
    pub fn only_from(mut self, states: &'a [CaseState]) -> CaseMove<'a> {
        self.only_from = Some(states);
        self
    }

    /// The from-states this move applies to: the table row's, narrowed by `only_from`.
    fn start_states(&self) -> Result<Vec<CaseState>, StoreError> {
        let row = Transition::find(self.cause, self.to).ok_or(StoreError::NoTransition {
            cause: self.cause,
            to: self.to,
        })?;
        Ok(row
            .from
            .iter()
            .copied()
            .filter(|s| self.only_from.is_none_or(|o| o.contains(s)))
            .collect())
    }
}

/// What a move did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    /// How many cases moved.
    pub count: u64,
    /// The cases moved with the state each had, ascending by id — for [`CaseSelection::One`] and
    /// [`CaseSelection::Ids`] (whose callers report them); empty for a whole file or an id range, whose callers
    /// need the count.
    pub cases: Vec<(i64, CaseState)>,
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventRow {
    pub case_id: i64,
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub reason: Option<String>,
}

/// The columns of `case_events` every writer fills, in this order.
pub(crate) const EVENT_COLUMNS: &str =
    "INSERT INTO case_events (case_id, from_state, to_state, reason, actor, at) ";

/// Writes audit rows, many per statement.
pub(crate) async fn insert_events(
    tx: &mut StoreTx<'_>,
    rows: &[EventRow],
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = StoredTime(at);
    with_tx!(tx, |t, DB| {
        for chunk in rows.chunks(ID_CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(EVENT_COLUMNS);
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(e.case_id)
                    .push_bind(e.from)
                    .push_bind(e.to)
                    .push_bind(e.reason.as_deref())
                    .push_bind(actor)
                    .push_bind(at);
            });
            qb.build().execute(&mut **t).await?;
        }
    });
    Ok(())
}

/// Writes the creation events of the cases with ids `first..=last`, which this transaction has just inserted (the
/// range holds exactly them, see `Dialect::IDS_BY_RANGE`): state and hold reason are read back from the rows, one
/// statement instead of six bound values per case.
pub(crate) async fn insert_creation_events(
    tx: &mut StoreTx<'_>,
    first: i64,
    last: i64,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_tx!(tx, |t, DB| {
        sqlx::query(&format!(
            "{EVENT_COLUMNS}SELECT id, NULL, state, hold_reason, $1, $2 FROM cases WHERE id BETWEEN $3 AND $4 \
             ORDER BY id"
        ))
        .bind(actor)
        .bind(StoredTime(at))
        .bind(first)
        .bind(last)
        .execute(&mut **t)
        .await?;
    });
    Ok(())
}

impl StoreTx<'_> {
    /// Moves the cases of `selection` that are in the from-states of the transition-table row (`mv.cause`,
    /// `mv.to`) to `mv.to`, setting `mv.update`'s columns, with one audit event each. Cases in other states are
    /// left alone (they changed meanwhile, or the caller's selection was wider). A (cause, to) pair that is not in
    /// the table is [`StoreError::NoTransition`].
    pub async fn move_cases(
        &mut self,
        selection: CaseSelection<'_>,
        mv: &CaseMove<'_>,
    ) -> Result<Moved, StoreError> {
        let from = mv.start_states()?;
        if from.is_empty() {
            return Ok(Moved::default());
        }
        match selection {
            CaseSelection::File(_) | CaseSelection::IdRange { .. } => {
                self.move_chunk(selection, &from, mv, false).await
            }
            CaseSelection::One(_) => self.move_chunk(selection, &from, mv, true).await,
            CaseSelection::Ids(ids) => {
                let mut all = Moved::default();
                for chunk in ids.chunks(ID_CHUNK) {
                    let part = self
                        .move_chunk(CaseSelection::Ids(chunk), &from, mv, true)
                        .await?;
                    all.count += part.count;
                    all.cases.extend(part.cases);
                }
                all.cases.sort_unstable();
                Ok(all)
            }
        }
    }

    async fn move_chunk(
        &mut self,
        selection: CaseSelection<'_>,
        from: &[CaseState],
        mv: &CaseMove<'_>,
        list_cases: bool,
    ) -> Result<Moved, StoreError> {
        let at = StoredTime(mv.at);
        with_tx!(self, |t, DB| {
            // The cases selected and in a from-state: `WHERE …` with `c` the alias of `cases` where the statement
            // has one (the UPDATE names the table).
            let selected = |qb: &mut QueryBuilder<'_, DB>, c: &str| {
                match selection {
                    CaseSelection::One(id) => {
                        qb.push(format!(" WHERE {c}id = ")).push_bind(id);
                    }
                    CaseSelection::Ids(ids) => {
                        qb.push(format!(" WHERE {c}id IN ("));
                        let mut sep = qb.separated(", ");
                        for id in ids {
                            sep.push_bind(*id);
                        }
                        qb.push(")");
                    }
                    CaseSelection::File(file_id) => {
                        qb.push(format!(
                            " WHERE {c}id IN (SELECT case_id FROM file_cases WHERE file_id = "
                        ))
                        .push_bind(file_id)
                        .push(")");
                    }
                    CaseSelection::IdRange { first, last } => {
                        qb.push(format!(" WHERE {c}id BETWEEN "))
                            .push_bind(first)
                            .push(" AND ")
                            .push_bind(last);
                    }
                }
                qb.push(format!(" AND {c}state IN ("));
                let mut sep = qb.separated(", ");
                for s in from {
                    sep.push_bind(*s);
                }
                qb.push(")");
            };
            let mut cases: Vec<(i64, CaseState)> = Vec::new();
            if list_cases || !<DB as Dialect>::LOCK_ROWS.is_empty() {
                let mut qb = QueryBuilder::<DB>::new("SELECT c.id, c.state FROM cases c");
                selected(&mut qb, "c.");
                qb.push(" ORDER BY c.id").push(<DB as Dialect>::LOCK_ROWS);
                let rows: Vec<(i64, CaseState)> = qb.build_query_as().fetch_all(&mut **t).await?;
                if list_cases {
                    cases = rows;
                }
            }
            let mut qb = QueryBuilder::<DB>::new(EVENT_COLUMNS);
            qb.push("SELECT c.id, c.state, ")
                .push_bind(mv.to)
                .push(", ")
                .push_bind(mv.reason)
                .push(", ")
                .push_bind(mv.actor)
                .push(", ")
                .push_bind(at)
                .push(" FROM cases c");
            selected(&mut qb, "c.");
            qb.push(" ORDER BY c.id");
            let events = qb.build().execute(&mut **t).await?.rows_affected();
            let mut qb = QueryBuilder::<DB>::new("UPDATE cases SET state = ");
            qb.push_bind(mv.to).push(", updated_at = ").push_bind(at);
            let u = &mv.update;
            if let Some(f) = u.file_id {
                qb.push(", file_id = ").push_bind(f);
            }
            if let Some(h) = &u.hold_reason {
                qb.push(", hold_reason = ").push_bind(h.clone());
            }
            if let Some(r) = &u.rejection_json {
                qb.push(", rejection_json = ").push_bind(r.clone());
            }
            if let Some(m) = &u.malnummer {
                qb.push(", malnummer = ").push_bind(m.clone());
            }
            if let Some(d) = &u.decision_json {
                qb.push(", decision_json = ").push_bind(d.clone());
            }
            if let Some(i) = &u.issues_json {
                qb.push(", issues_json = ").push_bind(i.clone());
            }
            if let Some(m) = &u.enforcement_malnummer {
                qb.push(", enforcement_malnummer = ").push_bind(m.clone());
            }
            if let Some(o) = &u.outcome_json {
                qb.push(", outcome_json = ").push_bind(o.clone());
            }
            selected(&mut qb, "");
            let count = qb.build().execute(&mut **t).await?.rows_affected();
            if count != events || (list_cases && count != cases.len() as u64) {
                return Err(StoreError::Invariant(format!(
                    "moving cases to {}: {events} events, {count} cases moved",
                    mv.to
                )));
            }
            Ok(Moved { count, cases })
        })
    }
}

impl StoreTx<'_> {
    /// Moves the next page of cases in `state`: the first `limit` of them with id above `after`, ascending, under
    /// `mv` (whose from-states must include `state`; cases of the page's id range in other states stay), with one
    /// audit event each. Returns the moved cases' keys, ascending (empty when no case in `state` is left above
    /// `after`). Two statements whatever the page size: one `SELECT` of the keys (locked on PostgreSQL), then the
    /// move of the id range they span, narrowed to `state` — so a caller moving every case of a state (`journal
    /// approve --all`) commits once per page of tens of thousands, not per thousand bound ids, and keeps one
    /// page of keys in memory.
    pub async fn move_page(
        &mut self,
        state: CaseState,
        after: i64,
        limit: i64,
        mv: &CaseMove<'_>,
    ) -> Result<Vec<CaseKey>, StoreError> {
        let from: Vec<CaseState> = mv
            .start_states()?
            .into_iter()
            .filter(|s| *s == state)
            .collect();
        if from.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<CaseKey> = with_tx!(self, |t, DB| {
            let sql = format!(
                "SELECT id, reference, kind FROM cases WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3{}",
                <DB as Dialect>::LOCK_ROWS
            );
            sqlx::query_as(&sql)
                .bind(state)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        });
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Ok(keys);
        };
        let range = CaseSelection::IdRange {
            first: first.id,
            last: last.id,
        };
        let moved = self.move_chunk(range, &from, mv, false).await?;
        if moved.count != keys.len() as u64 {
            return Err(StoreError::Invariant(format!(
                "moving a page of {} cases to {}: {} moved",
                keys.len(),
                mv.to,
                moved.count
            )));
        }
        Ok(keys)
    }
}

impl Store {
    /// [`StoreTx::move_cases`] in a transaction of its own.
    pub async fn move_cases(
        &self,
        selection: CaseSelection<'_>,
        mv: &CaseMove<'_>,
    ) -> Result<Moved, StoreError> {
        let mut tx = self.begin().await?;
        let moved = tx.move_cases(selection, mv).await?;
        tx.commit().await?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewCase, Store};

    fn case(reference: &str) -> NewCase {
        NewCase {
            reference: reference.into(),
            kind: "betalningsforelaggande".into(),
            intressentkod: "IK1".into(),
            state: CaseState::Journal,
            input_json: "{}".into(),
            case_json: None,
            content_hash: reference.into(),
            issues_json: "[]".into(),
            hold_reason: None,
            concerns: None,
            malnummer: None,
            source: None,
            source_line: None,
            search_keys: None,
            debtor_keys: None,
        }
    }

    async fn states(store: &Store) -> Vec<(i64, CaseState)> {
        store
            .list_cases(&[])
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.state))
            .collect()
    }

    #[tokio::test]
    async fn moves_pages_and_whole_files_with_one_event_per_moved_case() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 1).await.unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-05-04T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let batch: Vec<NewCase> = (0..1203).map(|i| case(&format!("R{i:05}"))).collect();
        store.upsert_cases(&batch, "import", now).await.unwrap();

        // Paging sees every journal case once, in id order.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = store
                .case_keys_page(CaseState::Journal, after, 500)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            seen.extend(page.into_iter().map(|k| k.id));
        }
        assert_eq!(seen.len(), 1203);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        let mut whole = Vec::new();
        let mut after = 0;
        while let Some(last) = store
            .cases_after(after, 400)
            .await
            .unwrap()
            .into_iter()
            .inspect(|c| whole.push((c.id, c.reference.clone())))
            .last()
        {
            after = last.id;
        }
        assert_eq!(whole.iter().map(|w| w.0).collect::<Vec<_>>(), seen);
        assert_eq!(whole[1202].1, "R01202");

        // move_cases: only those in `from` move; one event each.
        let approve = CaseMove::new(Cause::Approve, CaseState::Approved, "op", now)
            .only_from(&[CaseState::Journal]);
        let ids = |m: Moved| m.cases.into_iter().map(|c| c.0).collect::<Vec<_>>();
        let mut tx = store.begin().await.unwrap();
        let moved = tx
            .move_cases(CaseSelection::Ids(&seen[..1100]), &approve)
            .await
            .unwrap();
        assert_eq!(ids(moved), seen[..1100].to_vec());
        let again = tx
            .move_cases(CaseSelection::Ids(&seen[1000..1203]), &approve)
            .await
            .unwrap();
        assert_eq!(ids(again), seen[1100..1203].to_vec());
        tx.commit().await.unwrap();
        assert!(states(&store)
            .await
            .iter()
            .all(|(_, s)| *s == CaseState::Approved));

        // A file of 700 cases; one of them is held meanwhile and must not move.
        let mut tx = store.begin().await.unwrap();
        let file = crate::store::NewFile {
            intressentkod: "IK1".into(),
            layout: "bfo-ansokan".into(),
            filtyp: "BFO".into(),
            lopnummer: 1,
            file_name: "F".into(),
            bytes: vec![1],
            missiv_name: "M".into(),
            missiv_bytes: vec![2],
            case_count: 700,
            record_count: 700,
            total_ore: 0,
            tx_id: "tx-1".into(),
        };
        let fid = tx.insert_file(&file, &seen[..700], now).await.unwrap();
        tx.commit().await.unwrap();
        store
            .move_cases(
                CaseSelection::One(seen[3]),
                &CaseMove::new(Cause::Hold, CaseState::Held, "op", now).reason(Some("x")),
            )
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let n = tx
            .move_cases(
                CaseSelection::File(fid),
                &CaseMove::new(Cause::Batch, CaseState::Batched, "engine", now).reason(Some("F 1")),
            )
            .await
            .unwrap()
            .count;
        tx.commit().await.unwrap();
        assert_eq!(n, 699);
        let st = states(&store).await;
        for (i, (id, s)) in st.iter().enumerate() {
            let want = if i == 3 {
                CaseState::Held
            } else if i < 700 {
                CaseState::Batched
            } else {
                CaseState::Approved
            };
            assert_eq!(*s, want, "case {id}");
        }
        let ev = store.case_events(seen[5]).await.unwrap();
        let last = ev.last().unwrap();
        assert_eq!(last.from_state, Some(CaseState::Approved));
        assert_eq!(last.to_state, CaseState::Batched);
        assert_eq!(last.reason.as_deref(), Some("F 1"));
        // created, approved, batched
        assert_eq!(ev.len(), 3);
        assert_eq!(store.case_events(seen[3]).await.unwrap().len(), 3);
        assert_eq!(store.case_events(seen[800]).await.unwrap().len(), 2);
    }
}
