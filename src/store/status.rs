//! `fogd status` of every case, as a stream: one query read row by row (`fetch`, not `fetch_all`) and handed to the
//! caller as it comes, so that listing 1,000,000 cases keeps one row in memory, not a page of them or all.

use super::{with_pool, CaseFileInfo, CaseRow, Store, StoreError};
use crate::domain::{CaseKind, CaseState};
use futures_util::TryStreamExt;
use sqlx::QueryBuilder;

/// One case as `fogd status` lists it: the stored row without its content (`input_json` and `content_hash` are
/// empty and `case_json` `None` here — status shows none of them, and the JSON is most of a row's bytes), its
/// file columns, and whether it is an approved follow-up waiting for the målnummer of the case it concerns.
#[derive(Debug, Clone)]
pub struct CaseStatusRow {
    /// The case's columns, content left out.
    pub case: CaseRow,
    /// Its current file and receipt columns.
    pub file: CaseFileInfo,
    /// True for an approved follow-up without målnummer whose concerned case has none (or is not there yet).
    pub waiting: bool,
}

/// The columns read: only those status shows (each column of each row costs a copy and an allocation in the
/// driver, a good part of listing 1,000,000 cases).
#[derive(sqlx::FromRow)]
struct StatusColumns {
    id: i64,
    reference: String,
    kind: String,
    intressentkod: String,
    state: CaseState,
    issues_json: String,
    hold_reason: Option<String>,
    concerns: Option<String>,
    malnummer: Option<String>,
    source: Option<String>,
    source_line: Option<i64>,
    created_at: String,
    updated_at: String,
    file_id: Option<i64>,
    lopnummer: Option<i64>,
    file_name: Option<String>,
    rejection_json: Option<String>,
    decision_json: Option<String>,
    waiting: i64,
}

impl From<StatusColumns> for CaseStatusRow {
    fn from(c: StatusColumns) -> CaseStatusRow {
        CaseStatusRow {
            case: CaseRow {
                id: c.id,
                reference: c.reference,
                kind: c.kind,
                intressentkod: c.intressentkod,
                state: c.state,
                input_json: String::new(),
                case_json: None,
                content_hash: String::new(),
                issues_json: c.issues_json,
                hold_reason: c.hold_reason,
                concerns: c.concerns,
                malnummer: c.malnummer,
                source: c.source,
                source_line: c.source_line,
                created_at: c.created_at,
                updated_at: c.updated_at,
            },
            file: CaseFileInfo {
                case_id: c.id,
                file_id: c.file_id,
                lopnummer: c.lopnummer,
                file_name: c.file_name,
                rejection_json: c.rejection_json,
                decision_json: c.decision_json,
            },
            waiting: c.waiting == 1,
        }
    }
}

impl Store {
    /// Every case, ascending by id, each handed to `f` as it is read (see the module doc). The "waiting for
    /// målnummer" look-up is a sub-select per approved follow-up without målnummer (index on `reference`), so the
    /// stream needs no second query while it holds its connection. Stops at the first error of `f`.
    pub async fn for_each_case_status<E, F>(&self, mut f: F) -> Result<u64, E>
    where
        E: From<StoreError>,
        F: FnMut(CaseStatusRow) -> Result<(), E>,
    {
        let follow_ups: Vec<(CaseKind, CaseKind)> = CaseKind::ALL
            .into_iter()
            .filter_map(|k| Some((k, k.concerns_kind()?)))
            .collect();
        let mut n = 0u64;
        with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT c.id, c.reference, c.kind, c.intressentkod, c.state, c.issues_json, c.hold_reason, \
                 c.concerns, c.malnummer, c.source, c.source_line, c.created_at, c.updated_at, c.file_id, \
                 f.lopnummer, f.file_name, c.rejection_json, c.decision_json, CAST(CASE WHEN c.state = ",
            );
            qb.push_bind(CaseState::Approved)
                .push(" AND c.malnummer IS NULL AND c.concerns IS NOT NULL AND c.kind IN (");
            let mut sep = qb.separated(", ");
            for (k, _) in &follow_ups {
                sep.push_bind(k.as_str());
            }
            qb.push(
                ") AND NOT EXISTS (SELECT 1 FROM cases p WHERE p.intressentkod = c.intressentkod \
                 AND p.reference = c.concerns AND p.malnummer IS NOT NULL AND p.kind = CASE c.kind",
            );
            for (k, parent) in &follow_ups {
                qb.push(" WHEN ")
                    .push_bind(k.as_str())
                    .push(" THEN ")
                    .push_bind(parent.as_str());
            }
            qb.push(
                " END) THEN 1 ELSE 0 END AS BIGINT) AS waiting \
                 FROM cases c LEFT JOIN files f ON f.id = c.file_id ORDER BY c.id",
            );
            let mut rows = qb.build_query_as::<StatusColumns>().fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                n += 1;
                f(row.into())?;
            }
        });
        Ok(n)
    }
}
