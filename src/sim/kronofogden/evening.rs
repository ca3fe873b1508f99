//! The evening run of the simulated node: registrations (bekräftelse with målnummer) and, after the configured delay, the utslag report.

use super::*;

impl KronofogdenBehaviour {
    pub(super) async fn run_evening(
        &self,
        ctx: &SimContext,
    ) -> Result<Vec<OutboundReply>, BehaviourError> {
        let mut tx = crate::sim::db::begin_write(&ctx.pool).await?;
        let rows = sqlx::query(
            "SELECT c.id, c.kind, c.handlingsref, c.file_id, f.intressentkod, f.sender, f.corr_id, f.lopnummer,
               f.edition
             FROM kf_cases c JOIN kf_files f ON f.id = c.file_id
             WHERE c.status = ? AND c.kind IN (?, ?) ORDER BY c.file_id, c.id",
        )
        .bind(status::ACCEPTED)
        .bind(CaseKind::Betalningsforelaggande.as_str())
        .bind(CaseKind::Verkstallighet.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let mut seq: i64 = meta_get(&mut tx, "malnummer_seq")
            .await?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let yy = ctx.now_local.year() % 100;
        let today = ctx.now_local.date();
        let due = ctx.now.timestamp()
            + i64::try_from(ctx.config.sim.utslag_delay_secs).unwrap_or(i64::MAX / 2);
        let mut per_file: BTreeMap<i64, FileRegistrations> = BTreeMap::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let kind_s: String = r.try_get("kind")?;
            let Some(kind) = CaseKind::parse(&kind_s) else {
                continue;
            };
            seq += 1;
            let mal = format!("{}-{seq:06}-{yy:02}", malnummer_prefix(kind));
            sqlx::query(
                "UPDATE kf_cases SET status = ?, malnummer = ?, registered_at = ?, utslag_due = ? WHERE id = ?",
            )
            .bind(status::REGISTERED)
            .bind(&mal)
            .bind(crate::shs::format_time(ctx.now_local))
            .bind((kind == CaseKind::Betalningsforelaggande).then_some(due))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let file_id: i64 = r.try_get("file_id")?;
            let entry = per_file.entry(file_id).or_insert(FileRegistrations {
                kind,
                intressentkod: r.try_get("intressentkod")?,
                sender: r.try_get("sender")?,
                corr: r.try_get("corr_id")?,
                lop: r.try_get::<Option<i64>, _>("lopnummer")?.unwrap_or(0),
                edition: r.try_get("edition")?,
                entries: Vec::new(),
            });
            entry.entries.push(BekraftelseEntry {
                reference: r.try_get("handlingsref")?,
                malnummer: mal,
                registrerad: today,
                svarande_nr: 0,
            });
        }
        meta_set(&mut tx, "malnummer_seq", &seq.to_string()).await?;
        let product = product_for(&ctx.config, "bekraftelse")?;
        let mut replies = Vec::new();
        for (
            file_id,
            FileRegistrations {
                kind,
                intressentkod,
                sender,
                corr,
                lop,
                edition,
                entries,
            },
        ) in per_file
        {
            let set = self.edition_set(edition.as_deref());
            let doc = Bekraftelse {
                intressentkod: intressentkod.clone(),
                filtyp: if kind == CaseKind::Verkstallighet {
                    BekraftelseTyp::Emalut
                } else {
                    BekraftelseTyp::Ansbekr
                },
                avser_lopnummer: u32::try_from(lop).unwrap_or(0),
                datum: today,
                entries,
            };
            let bytes = doc.build(set).map_err(build_err)?;
            let name = bekraftelse_file_name(set, kind, &intressentkod)
                .unwrap_or_else(|| format!("{intressentkod}.BEKR"));
            sqlx::query("UPDATE kf_files SET bekraftelse_sent = 1 WHERE id = ?")
                .bind(file_id)
                .execute(&mut *tx)
                .await?;
            let mut r = OutboundReply::event(
                &sender,
                &product,
                DataPart::new("bekraftelse", Some(&name), TEXT_LATIN1, bytes),
            );
            r.corr_id = Some(corr);
            r.subject = Some(format!("Bekraftelse {name}"));
            replies.push(r);
        }
        tx.commit().await?;
        if !replies.is_empty() {
            tracing::info!(files = replies.len(), "sim evening run: bekräftelser");
        }
        Ok(replies)
    }

    /// Whether the evening cron fired since the last check (persisted); records the check.
    pub(super) async fn evening_due(&self, ctx: &SimContext) -> Result<bool, BehaviourError> {
        let schedule = ctx.config.sim.evening_run.schedule();
        let tz = ctx.config.sim.timezone;
        let mut tx = crate::sim::db::begin_write(&ctx.pool).await?;
        let last = meta_get(&mut tx, "evening_checked")
            .await?
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0));
        let fire = match last {
            Some(last) if last < ctx.now => schedule
                .after(&last.with_timezone(&tz))
                .next()
                .is_some_and(|next| next.with_timezone(&Utc) <= ctx.now),
            _ => false,
        };
        if last.is_none_or(|l| l < ctx.now) {
            meta_set(&mut tx, "evening_checked", &ctx.now.timestamp().to_string()).await?;
        }
        tx.commit().await?;
        Ok(fire)
    }

    pub(super) async fn run_utslag(
        &self,
        ctx: &SimContext,
    ) -> Result<Vec<OutboundReply>, BehaviourError> {
        let mut tx = crate::sim::db::begin_write(&ctx.pool).await?;
        let rows = sqlx::query(
            "SELECT c.id, c.intressentkod, c.sender, c.handlingsref, c.malnummer, c.status, c.current_ore,
               f.edition, l.case_id AS followed
             FROM kf_cases c JOIN kf_files f ON f.id = c.file_id LEFT JOIN kf_life l ON l.case_id = c.id
             WHERE c.kind = ? AND c.decision IS NULL AND c.utslag_due IS NOT NULL AND c.utslag_due <= ?
               AND c.malnummer IS NOT NULL AND c.status IN (?, ?) ORDER BY c.id",
        )
        .bind(CaseKind::Betalningsforelaggande.as_str())
        .bind(ctx.now.timestamp())
        .bind(status::REGISTERED)
        .bind(status::WITHDRAWN)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let today = ctx.now_local.date();
        let share = ctx.config.sim.disputed_share;
        // One report per sender, intressentkod and edition (each case is answered in its file's edition).
        type Group = (String, String, Option<String>);
        let mut groups: BTreeMap<Group, Vec<Decision>> = BTreeMap::new();
        let mut life_out = life::Outbox::default();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let intressentkod: String = r.try_get("intressentkod")?;
            let href: String = r.try_get("handlingsref")?;
            let mal: String = r.try_get("malnummer")?;
            let st: String = r.try_get("status")?;
            let current: i64 = r.try_get("current_ore")?;
            if r.try_get::<Option<i64>, _>("followed")?.is_some() {
                // FOGD-REF-2: the utslag opens the case's life after registration.
                let sender: String = r.try_get("sender")?;
                life::at_utslag(
                    &mut tx,
                    ctx,
                    &mut life_out,
                    id,
                    (&sender, &intressentkod),
                    &href,
                    &mal,
                    st == status::WITHDRAWN,
                    current,
                )
                .await?;
                continue;
            }
            let (typ, amount) = if st == status::WITHDRAWN {
                (Beslutstyp::Aterkallad, 0)
            } else if is_disputed(&intressentkod, &href, share) {
                (Beslutstyp::Avskrivning, 0)
            } else {
                (Beslutstyp::Utslag, current)
            };
            let letter = typ.as_str();
            let new_status = if st == status::WITHDRAWN {
                status::WITHDRAWN
            } else {
                status::DECIDED
            };
            sqlx::query(
                "UPDATE kf_cases SET decision = ?, decision_amount_ore = ?, decided_at = ?, status = ? WHERE id = ?",
            )
            .bind(letter)
            .bind(amount)
            .bind(crate::shs::format_time(ctx.now_local))
            .bind(new_status)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let utslag_ref = if typ == Beslutstyp::Utslag {
                format!("U-{mal}").chars().take(20).collect()
            } else {
                String::new()
            };
            groups
                .entry((r.try_get("sender")?, intressentkod, r.try_get("edition")?))
                .or_default()
                .push(Decision {
                    reference: href,
                    malnummer: mal,
                    beslutstyp: typ,
                    beslutsdatum: today,
                    faststallt_belopp: Amount(amount),
                    utslag_ref,
                });
        }
        let product = product_for(&ctx.config, "utslag")?;
        let mut replies = Vec::new();
        for ((sender, intressentkod, edition), decisions) in groups {
            let set = self.edition_set(edition.as_deref());
            let doc = UtslagReport {
                intressentkod: intressentkod.clone(),
                datum: today,
                decisions,
            };
            let bytes = doc.build(set).map_err(build_err)?;
            let name = utslag_file_name(set, &intressentkod)
                .unwrap_or_else(|| format!("{intressentkod}.RAPPORT"));
            let mut r = OutboundReply::event(
                &sender,
                &product,
                DataPart::new("utslag", Some(&name), TEXT_LATIN1, bytes),
            );
            r.subject = Some(format!("Rapport {name}"));
            replies.push(r);
        }
        replies.extend(life_out.into_replies(self, ctx)?);
        tx.commit().await?;
        tracing::info!(reports = replies.len(), "sim utslag reports");
        Ok(replies)
    }
}
