//! A received begäran (fogd-ref-2.md §2.5, file `{ik}.BEGARAN`): överlämnande (`O`) of a disputed case no later
//! than its `sista_dag`, or verkställighet (`V`) of an utslag not yet sent to enforcement. Accepted ones change
//! the case's life (handed over, or enforced, the next day); others get felkod 0050 (no such målnummer) or 0051
//! (the case is not in a state that allows the request) in the kvittens `SUPRO.{ik}.BEGKVITT`.

use super::super::check::{case_error, rule_felkod, CaseFacts};
use super::super::{db_rejection, KronofogdenBehaviour};
use super::{day, parse_day, phase, plus_days};
use crate::domain::CaseKind;
use crate::formats::KvittensError;
use crate::sim::behaviour::{Rejection, SimContext};
use sqlx::{Row, Sqlite, Transaction};

impl KronofogdenBehaviour {
    /// The checks and effect of one begäran without parse errors; the case's error, if any.
    pub(in super::super) async fn begaran(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        ctx: &SimContext,
        intressentkod: &str,
        c: &CaseFacts,
    ) -> Result<Option<KvittensError>, Rejection> {
        let set = &self.layouts;
        let refuse =
            |code: &str, text: String| Ok(Some(case_error(set, &c.reference, code, Some(&text))));
        let Some(mal) = &c.malnummer else {
            return refuse(rule_felkod::MALNUMMER_UNKNOWN, "malnummer saknas".into());
        };
        let row = sqlx::query(
            "SELECT c.id, l.phase, l.sista_dag FROM kf_cases c LEFT JOIN kf_life l ON l.case_id = c.id
             WHERE c.malnummer = ? AND c.intressentkod = ? AND c.kind = ?",
        )
        .bind(mal)
        .bind(intressentkod)
        .bind(CaseKind::Betalningsforelaggande.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_rejection)?;
        let Some(row) = row else {
            return refuse(
                rule_felkod::MALNUMMER_UNKNOWN,
                format!("okant malnummer {mal}"),
            );
        };
        let id: i64 = row.try_get("id").map_err(db_rejection)?;
        let ph: Option<String> = row.try_get("phase").map_err(db_rejection)?;
        let sista_dag = parse_day(row.try_get("sista_dag").map_err(db_rejection)?);
        let today = ctx.now_local.date();
        let ph = ph.unwrap_or_default();
        match c.request.as_deref() {
            Some("court") => {
                if ph != phase::DISPUTED {
                    return refuse(
                        rule_felkod::CASE_CLOSED,
                        format!("malet {mal} ar inte bestritt (begaran O)"),
                    );
                }
                if sista_dag.is_none_or(|s| today > s) {
                    return refuse(
                        rule_felkod::CASE_CLOSED,
                        format!(
                            "begaran O efter sista dag {}",
                            sista_dag.map(day).unwrap_or_default()
                        ),
                    );
                }
                self.next_phase(tx, id, phase::HANDOVER, plus_days(today, 1))
                    .await
            }
            Some("enforcement") => {
                if ph != phase::DECIDED {
                    return refuse(
                        rule_felkod::CASE_CLOSED,
                        format!("malet {mal} har inget utslag som kan verkstallas (begaran V)"),
                    );
                }
                self.next_phase(tx, id, phase::ENFORCE, plus_days(today, 1))
                    .await
            }
            _ => refuse(rule_felkod::FALLBACK, "begaran saknar O eller V".into()),
        }
    }

    async fn next_phase(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        id: i64,
        ph: &str,
        on: chrono::NaiveDate,
    ) -> Result<Option<KvittensError>, Rejection> {
        sqlx::query("UPDATE kf_life SET phase = ?, next_on = ? WHERE case_id = ?")
            .bind(ph)
            .bind(day(on))
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(db_rejection)?;
        Ok(None)
    }
}
