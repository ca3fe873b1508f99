//! The case after registration (fogd-ref-2.md §5, `migrations/*/0007_case_life.sql`): finding the case a
//! Kronofogden message names, the ledger's entries, the deadlines, and what a case carries after registration
//! (`enforcement_malnummer`, `outcome_json`). State changes go through [`super::moves`] like every other.

use super::types::StoredTime;
use super::{with_pool, with_tx, Store, StoreError, StoreTx};
use crate::domain::{CaseKind, CaseState};
use chrono::{DateTime, NaiveDate, Utc};

/// A case a message names, as matched.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MatchedCase {
    /// Row id.
    pub id: i64,
    /// Its state.
    pub state: CaseState,
    /// Kind name.
    pub kind: String,
    /// Målnummer from its bekräftelse.
    pub malnummer: Option<String>,
    /// The målnummer of the enforcement it continued into.
    pub enforcement_malnummer: Option<String>,
    /// What closed or decided it after registration (JSON).
    pub outcome_json: Option<String>,
}

/// One ledger row as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerRow {
    /// `paid_out`, `fee`, `fees_deducted`, `remaining`.
    pub kind: String,
    /// Öre.
    pub amount_ore: i64,
    /// The date it concerns (`YYYY-MM-DD`).
    pub at: String,
    /// The message and entry it came from.
    pub source: String,
}

/// A new ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerEntry<'a> {
    /// `paid_out`, `fee`, `fees_deducted`, `remaining`.
    pub kind: &'a str,
    /// Öre.
    pub amount_ore: i64,
    /// The date it concerns.
    pub at: NaiveDate,
    /// What it came from; with (case, kind) the idempotence key.
    pub source: &'a str,
}

/// A tracked deadline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadlineRow {
    /// The case.
    pub case_id: i64,
    /// Its reference.
    pub reference: String,
    /// Its state.
    pub state: CaseState,
    /// `overlamnande`, `skuldsanering_filing`, `uppskov_end`.
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub due: String,
    /// What set it.
    pub source: String,
    /// When the alert ahead of it was raised.
    pub alerted_at: Option<String>,
}

/// What a case carries after registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseLife {
    /// The målnummer of the enforcement an utslag continued into.
    pub enforcement_malnummer: Option<String>,
    /// What closed or decided it after registration (JSON).
    pub outcome_json: Option<String>,
    /// The utslag report's decision (JSON).
    pub decision_json: Option<String>,
}

/// Application kinds a Kronofogden message after registration can name.
const APPLICATION_KINDS: [CaseKind; 3] = [
    CaseKind::Betalningsforelaggande,
    CaseKind::Verkstallighet,
    CaseKind::Fordringsanmalan,
];

impl StoreTx<'_> {
    /// The application of `intressentkod` a message names by `handlingsref` (and, when given, målnummer): among
    /// the applications with that reference (a BFÖ and a verkställighet may share one), the one whose målnummer or
    /// enforcement målnummer is `malnummer`; else the only one of `kinds`. `None` when none or several fit.
    pub async fn case_for_message(
        &mut self,
        intressentkod: &str,
        handlingsref: &str,
        malnummer: Option<&str>,
        kinds: &[CaseKind],
    ) -> Result<Option<MatchedCase>, StoreError> {
        let rows: Vec<MatchedCase> = with_tx!(self, |t, DB| {
            sqlx::query_as(
                "SELECT id, state, kind, malnummer, enforcement_malnummer, outcome_json FROM cases \
                 WHERE intressentkod = $1 AND reference = $2 AND (kind = $3 OR kind = $4 OR kind = $5) \
                 ORDER BY id",
            )
            .bind(intressentkod)
            .bind(handlingsref)
            .bind(APPLICATION_KINDS[0].as_str())
            .bind(APPLICATION_KINDS[1].as_str())
            .bind(APPLICATION_KINDS[2].as_str())
            .fetch_all(&mut **t)
            .await?
        });
        if let Some(m) = malnummer.filter(|m| !m.is_empty()) {
            if let Some(hit) = rows.iter().find(|r| {
                r.malnummer.as_deref() == Some(m) || r.enforcement_malnummer.as_deref() == Some(m)
            }) {
                return Ok(Some(hit.clone()));
            }
        }
        let mut of_kind = rows
            .into_iter()
            .filter(|r| kinds.iter().any(|k| k.as_str() == r.kind));
        let first = of_kind.next();
        Ok(if of_kind.next().is_some() {
            None
        } else {
            first
        })
    }

    /// Records a ledger entry; false when (case, kind, source) was recorded before (nothing changes).
    pub async fn insert_ledger_entry(
        &mut self,
        case_id: i64,
        e: &NewLedgerEntry<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_tx!(self, |t, DB| {
            Ok(sqlx::query(
                "INSERT INTO ledger_entries (case_id, kind, amount_ore, at, source, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, kind, source) DO NOTHING",
            )
            .bind(case_id)
            .bind(e.kind)
            .bind(e.amount_ore)
            .bind(e.at.format("%Y-%m-%d").to_string())
            .bind(e.source)
            .bind(StoredTime(now))
            .execute(&mut **t)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Tracks (or moves) a deadline of a case; a moved deadline is alerted again.
    pub async fn set_deadline(
        &mut self,
        case_id: i64,
        kind: &str,
        due: NaiveDate,
        source: &str,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query(
                "INSERT INTO case_deadlines (case_id, kind, due, source) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (case_id, kind) DO UPDATE SET due = excluded.due, source = excluded.source, \
                 alerted_at = CASE WHEN case_deadlines.due = excluded.due THEN case_deadlines.alerted_at END",
            )
            .bind(case_id)
            .bind(kind)
            .bind(due.format("%Y-%m-%d").to_string())
            .bind(source)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// Adds an operator's note to a case inside this transaction (the console's `case_notes`).
    pub async fn add_note(
        &mut self,
        case_id: i64,
        actor: &str,
        at: DateTime<Utc>,
        text: &str,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query(
                "INSERT INTO case_notes (case_id, actor, at, text) VALUES ($1, $2, $3, $4)",
            )
            .bind(case_id)
            .bind(actor)
            .bind(StoredTime(at))
            .bind(text)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// The validated case JSON of a case.
    pub async fn case_json_of(&mut self, case_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = with_tx!(self, |t, DB| {
            sqlx::query_as("SELECT case_json FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(&mut **t)
                .await?
        });
        Ok(row.and_then(|r| r.0))
    }

    /// Sets the målnummer of the enforcement a case continued into, without moving it (the report saying so came
    /// after the enforcement's own messages).
    pub async fn set_enforcement_malnummer(
        &mut self,
        case_id: i64,
        malnummer: &str,
    ) -> Result<(), StoreError> {
        with_tx!(self, |t, DB| {
            sqlx::query("UPDATE cases SET enforcement_malnummer = $1 WHERE id = $2")
                .bind(malnummer)
                .bind(case_id)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }
}

impl Store {
    /// The ledger entries of a case, oldest first.
    pub async fn ledger_entries(&self, case_id: i64) -> Result<Vec<LedgerRow>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT kind, amount_ore, at, source FROM ledger_entries WHERE case_id = $1 ORDER BY at, id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The validated case JSON of the nedsättningar of the case (`intressentkod`, `reference`) that Kronofogden
    /// accepted (sent and not rejected).
    pub async fn accepted_reductions(
        &self,
        intressentkod: &str,
        reference: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(Option<String>,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT case_json FROM cases WHERE intressentkod = $1 AND kind = $2 AND concerns = $3 \
                 AND state = $4 ORDER BY id",
            )
            .bind(intressentkod)
            .bind(CaseKind::Nedsattning.as_str())
            .bind(reference)
            .bind(CaseState::Accepted)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().filter_map(|r| r.0).collect())
    }

    /// Kronofogden's latest `Aterstar` per case of `ids` (cases without one are left out): the status report's
    /// "remaining" column.
    pub async fn latest_remaining(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
        let mut out: std::collections::HashMap<i64, (String, i64, i64)> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(super::moves::ID_CHUNK) {
            let rows: Vec<(i64, i64, String, i64)> = with_pool!(self, |pool, DB| {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "SELECT case_id, id, at, amount_ore FROM ledger_entries WHERE kind = 'remaining' \
                     AND case_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(pool).await?
            });
            for (case_id, id, at, amount) in rows {
                let newer = out
                    .get(&case_id)
                    .is_none_or(|(a, i, _)| (at.as_str(), id) > (a.as_str(), *i));
                if newer {
                    out.insert(case_id, (at, id, amount));
                }
            }
        }
        Ok(out.into_iter().map(|(k, (_, _, a))| (k, a)).collect())
    }

    /// What a case carries after registration.
    pub async fn case_life(&self, case_id: i64) -> Result<CaseLife, StoreError> {
        let row: Option<CaseLife> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT enforcement_malnummer, outcome_json, decision_json FROM cases WHERE id = $1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.unwrap_or_default())
    }

    /// The deadlines of cases, earliest first; only those due on or before `until` when given.
    pub async fn deadlines(
        &self,
        until: Option<NaiveDate>,
    ) -> Result<Vec<DeadlineRow>, StoreError> {
        let until = until.map_or_else(
            || "9999-12-31".to_string(),
            |d| d.format("%Y-%m-%d").to_string(),
        );
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT d.case_id, c.reference, c.state, d.kind, d.due, d.source, d.alerted_at \
                 FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.due <= $1 \
                 ORDER BY d.due, d.case_id, d.kind",
            )
            .bind(until)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Fordringsanmälningar not yet sent whose filing deadline is not tracked yet: (id, validated case JSON).
    pub async fn untracked_filings(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, case_json FROM cases WHERE kind = $1 AND case_json IS NOT NULL \
                 AND (state = $2 OR state = $3 OR state = $4 OR state = $5) \
                 AND NOT EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = cases.id AND d.kind = $6) \
                 ORDER BY id",
            )
            .bind(CaseKind::Fordringsanmalan.as_str())
            .bind(CaseState::Held)
            .bind(CaseState::Journal)
            .bind(CaseState::Approved)
            .bind(CaseState::Batched)
            .bind("skuldsanering_filing")
            .fetch_all(pool)
            .await?
        }))
    }

    /// [`StoreTx::set_deadline`] in a transaction of its own.
    pub async fn set_deadline(
        &self,
        case_id: i64,
        kind: &str,
        due: NaiveDate,
        source: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.set_deadline(case_id, kind, due, source).await?;
        tx.commit().await
    }

    /// The due date of a case's deadline of `kind`.
    pub async fn deadline_of(
        &self,
        case_id: i64,
        kind: &str,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let row: Option<(String,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT due FROM case_deadlines WHERE case_id = $1 AND kind = $2")
                .bind(case_id)
                .bind(kind)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(d,)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
    }

    /// The cases of `kind` that concern the case `reference` of `intressentkod`.
    pub async fn cases_concerning(
        &self,
        intressentkod: &str,
        kind: &str,
        reference: &str,
    ) -> Result<Vec<super::CaseRow>, StoreError> {
        let ids: Vec<(i64,)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id FROM cases WHERE intressentkod = $1 AND kind = $2 AND concerns = $3 ORDER BY id",
            )
            .bind(intressentkod)
            .bind(kind)
            .bind(reference)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::new();
        for (id,) in ids {
            if let Some(r) = self.case_by_id(id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Marks a deadline's alert raised.
    pub async fn mark_deadline_alerted(
        &self,
        case_id: i64,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE case_deadlines SET alerted_at = $1 WHERE case_id = $2 AND kind = $3",
            )
            .bind(StoredTime(now))
            .bind(case_id)
            .bind(kind)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
