//! Read-only queries for the ops views, the API and reports: paged case lists, search, events in a period.

use super::cases::CaseRow;
use super::{Store, StoreError};
use crate::domain::CaseState;
use sqlx::QueryBuilder;

const COLUMNS: &str =
    "id, reference, kind, intressentkod, state, input_json, case_json, content_hash, \
     issues_json, hold_reason, concerns, malnummer, source, source_line, created_at, updated_at";

type Raw = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    String,
);

fn to_row(r: Raw) -> Result<CaseRow, StoreError> {
    let state = CaseState::parse(&r.4).ok_or_else(|| StoreError::Corrupt {
        id: r.0,
        message: format!("unknown state {:?}", r.4),
    })?;
    Ok(CaseRow {
        id: r.0,
        reference: r.1,
        kind: r.2,
        intressentkod: r.3,
        state,
        input_json: r.5,
        case_json: r.6,
        content_hash: r.7,
        issues_json: r.8,
        hold_reason: r.9,
        concerns: r.10,
        malnummer: r.11,
        source: r.12,
        source_line: r.13,
        created_at: r.14,
        updated_at: r.15,
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A case state change in a period (for reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInPeriod {
    /// The case.
    pub case: CaseRow,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

impl Store {
    /// Cases in `states` (all when empty), newest first, at most `limit` after skipping `offset`.
    pub async fn cases_page(
        &self,
        states: &[CaseState],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let rows: Vec<Raw> = crate::with_pool!(self, |pool, DB| {
            let mut qb = QueryBuilder::<DB>::new(format!("SELECT {COLUMNS} FROM cases"));
            if !states.is_empty() {
                qb.push(" WHERE state IN (");
                let mut sep = qb.separated(", ");
                for s in states {
                    sep.push_bind(s.as_str());
                }
                qb.push(")");
            }
            qb.push(" ORDER BY id DESC LIMIT ");
            qb.push_bind(limit);
            qb.push(" OFFSET ");
            qb.push_bind(offset);
            qb.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(to_row).collect()
    }

    /// Cases matching `q` exactly as case reference or målnummer, or as a customer number or invoice number in
    /// the submitted case (matched in the stored input JSON), newest first, at most `limit`.
    pub async fn search_cases(&self, q: &str, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let quoted = serde_json::to_string(q).unwrap_or_else(|_| format!("\"{q}\""));
        let customer = format!("%\"customer_number\":{}%", like_escape(&quoted));
        let invoice = format!("%\"invoice_number\":{}%", like_escape(&quoted));
        let sql = format!(
            "SELECT {COLUMNS} FROM cases WHERE reference = $1 OR malnummer = $1 \
             OR input_json LIKE $2 ESCAPE '\\' OR input_json LIKE $3 ESCAPE '\\' ORDER BY id DESC LIMIT $4"
        );
        let rows: Vec<Raw> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(q)
                .bind(&customer)
                .bind(&invoice)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(to_row).collect()
    }

    /// Cases created in `[from, to)` (RFC 3339 bounds), oldest first.
    pub async fn cases_created_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM cases WHERE created_at >= $1 AND created_at < $2 ORDER BY id"
        );
        let rows: Vec<Raw> = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(to_row).collect()
    }

    /// State changes into `to_state` in `[from, to)`, oldest first, with their case.
    pub async fn events_into_state_between(
        &self,
        to_state: CaseState,
        from: &str,
        to: &str,
    ) -> Result<Vec<EventInPeriod>, StoreError> {
        let cols: String = COLUMNS
            .split(", ")
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, e.from_state, e.to_state, e.reason, e.at FROM case_events e \
             JOIN cases c ON c.id = e.case_id WHERE e.to_state = $1 AND e.at >= $2 AND e.at < $3 ORDER BY e.id"
        );
        type Ev = (Option<String>, String, Option<String>, String);
        let rows: Vec<(Raw, Ev)> = crate::with_pool!(self, |pool, DB| {
            use sqlx::Row;
            let rows = sqlx::query(&sql)
                .bind(to_state.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let raw: Raw = (
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                    r.try_get(12)?,
                    r.try_get(13)?,
                    r.try_get(14)?,
                    r.try_get(15)?,
                );
                let ev: Ev = (
                    r.try_get(16)?,
                    r.try_get(17)?,
                    r.try_get(18)?,
                    r.try_get(19)?,
                );
                out.push((raw, ev));
            }
            out
        });
        rows.into_iter()
            .map(|(raw, ev)| {
                Ok(EventInPeriod {
                    case: to_row(raw)?,
                    from_state: ev.0,
                    to_state: ev.1,
                    reason: ev.2,
                    at: ev.3,
                })
            })
            .collect()
    }

    /// A cheap round trip to the database (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: (i64,) = crate::with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT CAST(1 AS BIGINT)")
                .fetch_one(pool)
                .await?
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
