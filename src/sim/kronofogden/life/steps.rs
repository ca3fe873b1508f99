//! The daily run of the life after registration: what is due on the sim's day, case by case.

use super::*;

/// One followed case due today.
struct Due {
    id: i64,
    phase: String,
    sender: String,
    intressentkod: String,
    reference: String,
    malnummer: String,
    claimed: i64,
    decision_amount: i64,
    vs: Option<String>,
    arende: Option<String>,
    debt: i64,
    per_month: i64,
    payments_left: i64,
    paid: i64,
    paid_out: i64,
    fees_due: i64,
    period_from: Option<NaiveDate>,
    next_on: Option<NaiveDate>,
    fee_on: Option<NaiveDate>,
}

impl KronofogdenBehaviour {
    /// Everything of the life after registration that is due on the sim's day `ctx.now_local`.
    pub(in crate::sim::kronofogden) async fn run_life(
        &self,
        ctx: &SimContext,
    ) -> Result<Vec<OutboundReply>, BehaviourError> {
        let today = ctx.now_local.date();
        let mut tx = crate::sim::db::begin_write(&ctx.pool).await?;
        // Verkställighet cases registered since: their enforcement starts.
        let started = sqlx::query(
            "SELECT c.id, c.malnummer, c.current_ore FROM kf_life l JOIN kf_cases c ON c.id = l.case_id
             WHERE l.phase = ? AND c.kind = ? AND c.status = ? AND c.malnummer IS NOT NULL ORDER BY c.id",
        )
        .bind(phase::NEW)
        .bind(CaseKind::Verkstallighet.as_str())
        .bind(status::REGISTERED)
        .fetch_all(&mut *tx)
        .await?;
        for r in started {
            let mal: String = r.try_get("malnummer")?;
            start_enforcement(
                &mut tx,
                ctx,
                r.try_get("id")?,
                &mal,
                r.try_get("current_ore")?,
                today,
            )
            .await?;
        }
        let mut out = Outbox::default();
        // Enforcements withdrawn (ändring `aterkallelse`) since: closed, with what was paid out so far.
        let withdrawn = sqlx::query(
            "SELECT l.case_id, l.vs_malnummer, l.debt_ore, l.paid_ore, l.paid_out_ore, c.sender, c.intressentkod,
               c.handlingsref, c.malnummer FROM kf_life l JOIN kf_cases c ON c.id = l.case_id
             WHERE l.phase IN (?, ?) AND c.status = ? ORDER BY l.case_id",
        )
        .bind(phase::LUB)
        .bind(phase::GARNISHMENT)
        .bind(status::WITHDRAWN)
        .fetch_all(&mut *tx)
        .await?;
        for r in withdrawn {
            let id: i64 = r.try_get("case_id")?;
            let vs: Option<String> = r.try_get("vs_malnummer")?;
            let mal: Option<String> = r.try_get("malnummer")?;
            let left = (r.try_get::<i64, _>("debt_ore")? - r.try_get::<i64, _>("paid_ore")?).max(0);
            set_phase(&mut tx, id, phase::CLOSED, None).await?;
            out.push(
                &r.try_get::<String, _>("sender")?,
                &r.try_get::<String, _>("intressentkod")?,
                Doc::Slutredovisning,
                vec![
                    (Source::EntryMalnummer, text(vs.or(mal).unwrap_or_default())),
                    (
                        Source::EntryReference,
                        text(r.try_get::<String, _>("handlingsref")?),
                    ),
                    (Source::EntryDate, Value::Date(today)),
                    (Source::EntryReason, code("aterkallad")),
                    (
                        Source::EntryTotalPaidOut,
                        Value::Amount(r.try_get("paid_out_ore")?),
                    ),
                    (Source::EntryRemaining, Value::Amount(left)),
                ],
            );
        }
        let rows = sqlx::query(
            "SELECT l.*, c.sender, c.intressentkod, c.handlingsref, c.malnummer, c.claimed_ore,
               c.decision_amount_ore FROM kf_life l JOIN kf_cases c ON c.id = l.case_id
             WHERE l.phase IN (?, ?, ?, ?, ?, ?)
               AND ((l.next_on IS NOT NULL AND l.next_on <= ?) OR (l.phase = ? AND l.fee_on <= ?))
             ORDER BY l.next_on, l.case_id",
        )
        .bind(phase::DISPUTED)
        .bind(phase::HANDOVER)
        .bind(phase::ENFORCE)
        .bind(phase::LUB)
        .bind(phase::GARNISHMENT)
        .bind(phase::LODGED)
        .bind(day(today))
        .bind(phase::GARNISHMENT)
        .bind(day(today))
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let d = Due {
                id: r.try_get("case_id")?,
                phase: r.try_get("phase")?,
                sender: r.try_get("sender")?,
                intressentkod: r.try_get("intressentkod")?,
                reference: r.try_get("handlingsref")?,
                malnummer: r
                    .try_get::<Option<String>, _>("malnummer")?
                    .unwrap_or_default(),
                claimed: r.try_get("claimed_ore")?,
                decision_amount: r
                    .try_get::<Option<i64>, _>("decision_amount_ore")?
                    .unwrap_or(0),
                vs: r.try_get("vs_malnummer")?,
                arende: r.try_get("arende")?,
                debt: r.try_get("debt_ore")?,
                per_month: r.try_get("per_month_ore")?,
                payments_left: r.try_get("payments_left")?,
                paid: r.try_get("paid_ore")?,
                paid_out: r.try_get("paid_out_ore")?,
                fees_due: r.try_get("fees_due_ore")?,
                period_from: parse_day(r.try_get("period_from")?),
                next_on: parse_day(r.try_get("next_on")?),
                fee_on: parse_day(r.try_get("fee_on")?),
            };
            self.step(&mut tx, ctx, &mut out, d).await?;
        }
        let replies = out.into_replies(self, ctx)?;
        tx.commit().await?;
        if !replies.is_empty() {
            tracing::info!(messages = replies.len(), day = %today, "sim life after registration");
        }
        Ok(replies)
    }

    /// The step due for one case today.
    async fn step(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        ctx: &SimContext,
        out: &mut Outbox,
        mut d: Due,
    ) -> Result<(), BehaviourError> {
        let today = ctx.now_local.date();
        let life = &ctx.config.sim.life;
        let (sender, ik) = (d.sender.clone(), d.intressentkod.clone());
        let report = |decision, court: Option<&str>, vs: Option<&str>, amount, uref: &str| {
            Report {
                reference: &d.reference,
                malnummer: &d.malnummer,
                decision,
                date: today,
                amount,
                utslag_ref: uref,
                court,
                vs_malnummer: vs,
            }
            .entry()
        };
        let due_today = d.next_on.is_some_and(|n| n <= today);
        match d.phase.as_str() {
            phase::HANDOVER if due_today => {
                close_case(tx, d.id, status::HANDED_OVER, "D").await?;
                out.push(
                    &sender,
                    &ik,
                    Doc::Utslag,
                    report("D", Some(&life.court), None, 0, ""),
                );
            }
            phase::DISPUTED if due_today => {
                close_case(tx, d.id, status::WRITTEN_OFF, "A").await?;
                out.push(&sender, &ik, Doc::Utslag, report("A", None, None, 0, ""));
            }
            phase::ENFORCE if due_today => {
                let vs = next_malnummer(tx, "VS", today).await?;
                start_enforcement(tx, ctx, d.id, &vs, d.decision_amount, today).await?;
                // The same utslag as before, now with the enforcement's målnummer.
                let uref = utslag_ref(&d.malnummer);
                let e = report("U", None, Some(&vs), d.decision_amount, &uref);
                out.push(&sender, &ik, Doc::Utslag, e);
            }
            phase::LUB if due_today => {
                let (_, per_month, left) = garnishment_plan(&ctx.config, &ik, &d.reference, d.debt);
                let vs = d.vs.clone().unwrap_or_else(|| d.malnummer.clone());
                sqlx::query(
                    "UPDATE kf_life SET phase = ?, next_on = ?, per_month_ore = ?, payments_left = ?,
                       period_from = ?, fee_on = ? WHERE case_id = ?",
                )
                .bind(phase::GARNISHMENT)
                .bind(day(plus_months(today, 1)))
                .bind(per_month)
                .bind(left.map_or(-1, |l| i64::try_from(l).unwrap_or(0)))
                .bind(day(today))
                .bind(day(plus_months(today, 12)))
                .bind(d.id)
                .execute(&mut **tx)
                .await?;
                out.push(
                    &sender,
                    &ik,
                    Doc::Lub,
                    vec![
                        (Source::EntryMalnummer, text(vs)),
                        (Source::EntryReference, text(d.reference.clone())),
                        (Source::EntryDate, Value::Date(today)),
                        (Source::EntryAmountPerMonth, Value::Amount(per_month)),
                        (Source::EntryFrom, Value::Date(plus_days(today, 1))),
                    ],
                );
            }
            phase::GARNISHMENT => {
                let vs = d.vs.clone().unwrap_or_else(|| d.malnummer.clone());
                if d.fee_on.is_some_and(|f| f <= today) {
                    let fee = life.grundavgift.0 .0;
                    d.fees_due += fee;
                    let next_fee = plus_months(today, 12);
                    sqlx::query(
                        "UPDATE kf_life SET fees_due_ore = ?, fee_on = ? WHERE case_id = ?",
                    )
                    .bind(d.fees_due)
                    .bind(day(next_fee))
                    .bind(d.id)
                    .execute(&mut **tx)
                    .await?;
                    out.push(
                        &sender,
                        &ik,
                        Doc::Nyttavgar,
                        vec![
                            (Source::EntryMalnummer, text(vs.clone())),
                            (Source::EntryReference, text(d.reference.clone())),
                            (Source::EntryAmount, Value::Amount(fee)),
                            (Source::EntryChargeDate, Value::Date(today)),
                        ],
                    );
                }
                if due_today {
                    self.payout(tx, out, &d, &vs, today).await?;
                }
            }
            phase::LODGED if due_today => {
                let granted = fraction(&ik, &d.reference, "sks") < life.sks_granted_share;
                let (decision, amount, months, per_mille) = if granted {
                    (
                        "beviljad",
                        d.claimed,
                        u64::from(life.sks_plan_months),
                        100 + draw(&ik, &d.reference, "utdelning", 401),
                    )
                } else {
                    ("avslag", 0, 0, 0)
                };
                close_case(tx, d.id, status::DECIDED, if granted { "B" } else { "A" }).await?;
                let arende = d.arende.clone().unwrap_or_else(|| format!("SKS-{}", d.id));
                out.push(
                    &sender,
                    &ik,
                    Doc::SksRapport,
                    vec![
                        (Source::EntryReference, text(d.reference.clone())),
                        (Source::EntryDebtRestructuringCase, text(arende)),
                        (Source::EntryDecision, code(decision)),
                        (Source::EntryDate, Value::Date(today)),
                        (Source::EntryAmount, Value::Amount(amount)),
                        (Source::EntryPlanMonths, Value::Num(months)),
                        (Source::EntryDividendPerMille, Value::Num(per_mille)),
                    ],
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// A month of garnishment: a DELRED paying the month's amount less fees due, and the slutredovisning when the
    /// debt is paid or the assets ran out.
    async fn payout(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        out: &mut Outbox,
        d: &Due,
        vs: &str,
        today: NaiveDate,
    ) -> Result<(), BehaviourError> {
        let remaining = (d.debt - d.paid).max(0);
        let from = d.period_from.unwrap_or(today);
        let (investigation, pay) = if d.payments_left == 0 {
            ("inga_tillgangar", 0)
        } else {
            ("loneutmatning", d.per_month.min(remaining))
        };
        let fees = d.fees_due.min(pay);
        let paid_out = pay - fees;
        let left = remaining - pay;
        let total_out = d.paid_out + paid_out;
        let closed = investigation == "inga_tillgangar" || left == 0;
        sqlx::query(
            "UPDATE kf_life SET phase = ?, next_on = ?, paid_ore = paid_ore + ?, paid_out_ore = ?,
               fees_due_ore = fees_due_ore - ?, payments_left = CASE WHEN payments_left > 0
               THEN payments_left - 1 ELSE payments_left END, period_from = ? WHERE case_id = ?",
        )
        .bind(if closed {
            phase::CLOSED
        } else {
            phase::GARNISHMENT
        })
        .bind((!closed).then(|| day(plus_months(today, 1))))
        .bind(pay)
        .bind(total_out)
        .bind(fees)
        .bind(day(plus_days(today, 1)))
        .bind(d.id)
        .execute(&mut **tx)
        .await?;
        out.push(
            &d.sender,
            &d.intressentkod,
            Doc::Delred,
            vec![
                (Source::EntryMalnummer, text(vs)),
                (Source::EntryReference, text(d.reference.clone())),
                (Source::EntryPeriodFrom, Value::Date(from)),
                (Source::EntryPeriodTo, Value::Date(today)),
                (Source::EntryInvestigation, code(investigation)),
                (Source::EntryPaidOut, Value::Amount(paid_out)),
                (Source::EntryFeesDeducted, Value::Amount(fees)),
                (Source::EntryRemaining, Value::Amount(left)),
            ],
        );
        if closed {
            let reason = if left == 0 {
                "betald"
            } else {
                "inga_tillgangar"
            };
            sqlx::query("UPDATE kf_cases SET status = ? WHERE id = ?")
                .bind(status::CLOSED)
                .bind(d.id)
                .execute(&mut **tx)
                .await?;
            out.push(
                &d.sender,
                &d.intressentkod,
                Doc::Slutredovisning,
                vec![
                    (Source::EntryMalnummer, text(vs)),
                    (Source::EntryReference, text(d.reference.clone())),
                    (Source::EntryDate, Value::Date(today)),
                    (Source::EntryReason, code(reason)),
                    (Source::EntryTotalPaidOut, Value::Amount(total_out)),
                    (Source::EntryRemaining, Value::Amount(left)),
                ],
            );
        }
        Ok(())
    }
}
