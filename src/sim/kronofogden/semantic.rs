//! The stateful checks of a received file's cases (kronofogden.md §2.5): duplicate handlingsrefs (0060), follow-ups
//! naming an unknown (0050) or closed (0051) målnummer, a nedsättning over what remains (0043), and each
//! follow-up's effect; a begäran goes to [`super::life`].

use super::*;

impl KronofogdenBehaviour {
    /// The stateful checks of one case without parse errors, and a follow-up's effect. Returns the case's error.
    pub(super) async fn semantic(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        ctx: &SimContext,
        kind: CaseKind,
        intressentkod: &str,
        c: &check::CaseFacts,
        refs: &mut FileHandlingsrefs,
    ) -> Result<Option<KvittensError>, Rejection> {
        let set = &self.layouts;
        if kind == CaseKind::Begaran {
            return self.begaran(tx, ctx, intressentkod, c).await;
        }
        let (in_file, held) = (&mut refs.in_file, refs.held.as_ref());
        let Some(register) = kind.concerns_kind() else {
            // An application: duplicate handlingsref? (`held`: prefetched for the whole file.)
            if let Some(h) = held {
                if h.contains(&c.reference) || !in_file.insert(c.reference.clone()) {
                    return Ok(Some(case_error(
                        set,
                        &c.reference,
                        rule_felkod::DUPLICATE_CASE,
                        None,
                    )));
                }
                return Ok(None);
            }
            let held: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM kf_cases WHERE intressentkod = ? AND kind = ? AND handlingsref = ? AND status != ?",
            )
            .bind(intressentkod)
            .bind(kind.as_str())
            .bind(&c.reference)
            .bind(status::REJECTED)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_rejection)?;
            if held.is_some() || !in_file.insert(c.reference.clone()) {
                return Ok(Some(case_error(
                    set,
                    &c.reference,
                    rule_felkod::DUPLICATE_CASE,
                    None,
                )));
            }
            return Ok(None);
        };
        let Some(mal) = &c.malnummer else {
            return Ok(Some(case_error(
                set,
                &c.reference,
                rule_felkod::MALNUMMER_UNKNOWN,
                Some("malnummer saknas"),
            )));
        };
        let row = sqlx::query(
            "SELECT id, status, current_ore FROM kf_cases WHERE malnummer = ? AND intressentkod = ? AND kind = ?",
        )
        .bind(mal)
        .bind(intressentkod)
        .bind(register.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_rejection)?;
        let Some(row) = row else {
            return Ok(Some(case_error(
                set,
                &c.reference,
                rule_felkod::MALNUMMER_UNKNOWN,
                Some(&format!("okant malnummer {mal}")),
            )));
        };
        let t = Target {
            id: row.try_get("id").map_err(db_rejection)?,
            status: row.try_get("status").map_err(db_rejection)?,
            current: row.try_get("current_ore").map_err(db_rejection)?,
        };
        if [
            status::WITHDRAWN,
            status::DECIDED,
            status::HANDED_OVER,
            status::WRITTEN_OFF,
            status::CLOSED,
        ]
        .contains(&t.status.as_str())
        {
            return Ok(Some(case_error(
                set,
                &c.reference,
                rule_felkod::CASE_CLOSED,
                Some(&format!("malet {mal} ar avslutat ({})", t.status)),
            )));
        }
        let now = ctx.now.timestamp();
        match kind {
            CaseKind::Nedsattning => {
                let amount = c.amount.unwrap_or(0);
                if amount > t.current {
                    return Ok(Some(case_error(
                        set,
                        &c.reference,
                        rule_felkod::AMOUNT_OVER_REMAINING,
                        Some(&format!(
                            "nedsattning {} overstiger kvarvarande {}",
                            Amount(amount),
                            Amount(t.current)
                        )),
                    )));
                }
                sqlx::query("UPDATE kf_cases SET current_ore = current_ore - ? WHERE id = ?")
                    .bind(amount)
                    .bind(t.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_rejection)?;
            }
            CaseKind::Aterkallelse => {
                // Withdrawn: closed; the R decision goes out with the next utslag report.
                sqlx::query("UPDATE kf_cases SET status = ?, utslag_due = ? WHERE id = ?")
                    .bind(status::WITHDRAWN)
                    .bind(now)
                    .bind(t.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_rejection)?;
            }
            CaseKind::VerkstallighetAndring => {
                let (k, amount, until) = c.change.unwrap_or((ChangeKind::Belopp, None, None));
                let q = match k {
                    ChangeKind::Belopp => {
                        sqlx::query("UPDATE kf_cases SET current_ore = ? WHERE id = ?")
                            .bind(amount.unwrap_or(0))
                    }
                    ChangeKind::Aterkallelse => {
                        sqlx::query("UPDATE kf_cases SET status = ? WHERE id = ?")
                            .bind(status::WITHDRAWN)
                    }
                    ChangeKind::Uppskov => {
                        sqlx::query("UPDATE kf_cases SET deferral_until = ? WHERE id = ?")
                            .bind(until.map(|d| d.to_string()))
                    }
                };
                q.bind(t.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_rejection)?;
            }
            _ => {}
        }
        Ok(None)
    }
}
