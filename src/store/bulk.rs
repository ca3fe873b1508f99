//! Set-based case moves for the engine's hot paths (issue 5, point 8: 100,000 cases end to end).
//!
//! A file carries up to `batch.max_cases_per_file` cases; moving them one statement at a time (select state,
//! update, insert event — three round trips per case) made build, "file sent" and kvittens apply the bottleneck.
//! Here a whole file's cases move in three statements: on PostgreSQL the rows are first locked (`FOR UPDATE`, so
//! the event rows and the update see the same set even with a second fogd), then one `INSERT … SELECT` writes the
//! `case_events` rows with each case's previous state, then one `UPDATE … WHERE id IN (SELECT case_id FROM
//! file_cases …)` moves them. SQLite's single writer makes the lock unnecessary. Lists of ids are bound in chunks of
//! [`ID_CHUNK`] (well under both backends' parameter limits).

use super::cases::{time_text, RawCaseRow, CASE_COLUMNS};
use super::files::with_tx;
use super::{CaseRow, Store, StoreError, StoreTx};
use crate::domain::CaseState;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

/// Ids bound per statement.
pub const ID_CHUNK: usize = 500;

/// A case's key columns (for reports of what changed, without loading the case's JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseKey {
    /// Row id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Kind name.
    pub kind: String,
}

impl StoreTx {
    /// Inserts the `file_cases` rows of a file, many rows per statement.
    pub async fn insert_file_cases(
        &mut self,
        file_id: i64,
        case_ids: &[i64],
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            for chunk in case_ids.chunks(ID_CHUNK) {
                let mut qb = QueryBuilder::<DB>::new("INSERT INTO file_cases (file_id, case_id) ");
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(file_id).push_bind(*c);
                });
                qb.build().execute(&mut **t).await?;
            }
        });
        Ok(())
    }

    /// Moves every case that file `file_id` carried (`file_cases`) and that is in one of `from` to `to`, with an
    /// audit event each (`reason`, `actor`, the case's previous state); `set_file_id` also sets (or, `Some(None)`,
    /// clears) the cases' current file. Cases in other states are left alone, like
    /// [`StoreTx::set_case_state`] returning false. Returns how many moved.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_file_cases(
        &mut self,
        file_id: i64,
        from: &[CaseState],
        to: CaseState,
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
        set_file_id: Option<Option<i64>>,
    ) -> Result<u64, StoreError> {
        if from.is_empty() {
            return Ok(0);
        }
        let now = time_text(now);
        let pg = matches!(self, StoreTx::Postgres(_));
        with_tx!(self, |t, DB| {
            // `c` is the alias of `cases` where the statement has one; the UPDATE names the table.
            let in_file = |qb: &mut QueryBuilder<'_, DB>, c: &str| {
                qb.push(format!(
                    " WHERE {c}id IN (SELECT case_id FROM file_cases WHERE file_id = "
                ))
                .push_bind(file_id)
                .push(format!(") AND {c}state IN ("));
                let mut sep = qb.separated(", ");
                for s in from {
                    sep.push_bind(s.as_str());
                }
                qb.push(")");
            };
            if pg {
                let mut qb = QueryBuilder::<DB>::new("SELECT c.id FROM cases c");
                in_file(&mut qb, "c.");
                qb.push(" ORDER BY c.id FOR UPDATE");
                qb.build().execute(&mut **t).await?;
            }
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO case_events (case_id, from_state, to_state, reason, actor, at) SELECT c.id, c.state, ",
            );
            qb.push_bind(to.as_str())
                .push(", ")
                .push_bind(reason)
                .push(", ")
                .push_bind(actor)
                .push(", ")
                .push_bind(now.clone())
                .push(" FROM cases c");
            in_file(&mut qb, "c.");
            qb.push(" ORDER BY c.id");
            let events = qb.build().execute(&mut **t).await?.rows_affected();
            let mut qb = QueryBuilder::<DB>::new("UPDATE cases SET state = ");
            qb.push_bind(to.as_str())
                .push(", updated_at = ")
                .push_bind(now.clone());
            if let Some(f) = set_file_id {
                qb.push(", file_id = ").push_bind(f);
            }
            in_file(&mut qb, "");
            let moved = qb.build().execute(&mut **t).await?.rows_affected();
            if moved != events {
                return Err(StoreError::Corrupt {
                    id: file_id,
                    message: format!(
                        "moving the cases of file {file_id}: {events} events but {moved} cases moved"
                    ),
                });
            }
            Ok(moved)
        })
    }

    /// Moves those of `ids` that are in state `from` to `to`, with an audit event each; returns the ids moved
    /// (ascending). The others (changed meanwhile, or unknown) are left alone.
    pub async fn move_cases(
        &mut self,
        ids: &[i64],
        from: CaseState,
        to: CaseState,
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = time_text(now);
        let mut moved: Vec<i64> = Vec::with_capacity(ids.len());
        with_tx!(self, |t, DB| {
            for chunk in ids.chunks(ID_CHUNK) {
                let mut qb = QueryBuilder::<DB>::new("UPDATE cases SET state = ");
                qb.push_bind(to.as_str())
                    .push(", updated_at = ")
                    .push_bind(now.clone())
                    .push(" WHERE state = ")
                    .push_bind(from.as_str())
                    .push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") RETURNING id");
                let mut done: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut **t).await?;
                if done.is_empty() {
                    continue;
                }
                done.sort_unstable();
                let mut qb = QueryBuilder::<DB>::new(
                    "INSERT INTO case_events (case_id, from_state, to_state, reason, actor, at) ",
                );
                qb.push_values(&done, |mut b, (id,)| {
                    b.push_bind(*id)
                        .push_bind(from.as_str())
                        .push_bind(to.as_str())
                        .push_bind(reason)
                        .push_bind(actor)
                        .push_bind(now.clone());
                });
                qb.build().execute(&mut **t).await?;
                moved.extend(done.into_iter().map(|r| r.0));
            }
        });
        Ok(moved)
    }
}

impl Store {
    /// Up to `limit` cases in `state` with id above `after`, ascending: key columns only, so that a command
    /// acting on every case of a state (`journal approve --all`) pages through them in bounded memory.
    pub async fn case_keys_page(
        &self,
        state: CaseState,
        after: i64,
        limit: i64,
    ) -> Result<Vec<CaseKey>, StoreError> {
        let rows: Vec<(i64, String, String)> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, reference, kind FROM cases WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(state.as_str())
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, reference, kind)| CaseKey {
                id,
                reference,
                kind,
            })
            .collect())
    }

    /// Up to `limit` whole cases with id above `after`, ascending: `fogd status` pages through every case in
    /// bounded memory instead of loading them all.
    pub async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id > $1 ORDER BY id LIMIT $2");
        let rows: Vec<RawCaseRow> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(CaseRow::try_from).collect()
    }

    /// The målnummer of the case (intressentkod, kind, reference), if it exists and has one (status: whether a
    /// follow-up still waits for the målnummer of the case it concerns).
    pub async fn malnummer_of(
        &self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
    ) -> Result<Option<String>, StoreError> {
        let r: Option<(Option<String>,)> = crate::with_pool!(self, |pool, DB| {
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
        let mut tx = store.begin().await.unwrap();
        let moved = tx
            .move_cases(
                &seen[..1100],
                CaseState::Journal,
                CaseState::Approved,
                None,
                "op",
                now,
            )
            .await
            .unwrap();
        assert_eq!(moved, seen[..1100].to_vec());
        let again = tx
            .move_cases(
                &seen[1000..1203],
                CaseState::Journal,
                CaseState::Approved,
                None,
                "op",
                now,
            )
            .await
            .unwrap();
        assert_eq!(again, seen[1100..1203].to_vec());
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
            .transition_case(
                seen[3],
                &[CaseState::Approved],
                CaseState::Held,
                Some("x"),
                "op",
                now,
            )
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let n = tx
            .move_file_cases(
                fid,
                &[CaseState::Approved, CaseState::Journal],
                CaseState::Batched,
                Some("F 1"),
                "engine",
                now,
                None,
            )
            .await
            .unwrap();
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
        assert_eq!(last.from_state.as_deref(), Some("approved"));
        assert_eq!(last.to_state, "batched");
        assert_eq!(last.reason.as_deref(), Some("F 1"));
        // created, approved, batched
        assert_eq!(ev.len(), 3);
        assert_eq!(store.case_events(seen[3]).await.unwrap().len(), 3);
        assert_eq!(store.case_events(seen[800]).await.unwrap().len(), 2);
    }
}
