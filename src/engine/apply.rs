//! Applying stored inbound messages, each in its own transaction that first marks it applied (so applying the same
//! message twice changes nothing):
//!
//! - **Kvittens** for (intressentkod, avser_filtyp, avser_lopnummer): the latest file of that series and number
//!   still awaiting its kvittens. `G`: file `receipted_ok`, the series' last approved = its löpnummer; cases named
//!   in `niva H` errors → `rejected` with felkod and feltext, the others → `accepted` (an accepted återkallelse
//!   also moves the case it concerns to `withdrawn`). `U`: file `receipted_rejected` with its errors; its cases →
//!   `approved` again, to be rebuilt with last approved + 1 (the same number) and a new missiv.
//! - **Bekräftelse** (ANSBEKR → BFÖ, EMALUT → verkställighet): each handlingsref's case gets its målnummer and
//!   becomes `registered`.
//! - **Utslag report** (FOGD-REF-1 or -2) and the FOGD-REF-2 documents after registration: see
//!   [`super::apply_life`].
//! - **SHS confirm** → the file's `confirmed_at`; **SHS error** → the file back to `built` with the error and the
//!   longest back-off, logged as an alert.
//!
//! A message that matches nothing (or only partly) is kept with `apply_error` and logged for operators, never
//! dropped.

use super::{Engine, EngineError};
use crate::domain::state::Cause;
use crate::domain::{CaseKind, CaseState};
use crate::formats::{
    rejection_text, Bekraftelse, BekraftelseTyp, Kvittens, KvittensStatus, Niva, Rejection,
    UtslagReport,
};
use crate::shs::{Management, ManagementKind, ShsMessage};
use crate::store::{CaseMove, CaseSelection, CaseUpdate, StoreTx};
use chrono::{DateTime, Utc};

/// What applying did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// Messages applied.
    pub applied: u64,
    /// Of those, with an apply error (matched nothing, or unreadable).
    pub unmatched: u64,
    /// Messages that could not be applied now (store error; retried on the next pass).
    pub failed: u64,
}

/// The outcome of applying one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied; with the apply error if it matched nothing or only part.
    Done(Option<String>),
    /// It had been applied before: nothing changed.
    AlreadyApplied,
}

impl Engine {
    /// Applies every stored, unapplied message.
    pub async fn apply_pending(&self) -> Result<ApplyReport, EngineError> {
        let mut r = ApplyReport::default();
        for id in self.store.unapplied_inbound().await? {
            match self.apply_inbound(id).await {
                Ok(Applied::Done(err)) => {
                    r.applied += 1;
                    if err.is_some() {
                        r.unmatched += 1;
                    }
                }
                Ok(Applied::AlreadyApplied) => {}
                Err(e) => {
                    tracing::error!(inbound = id, error = %e, "applying an inbound message failed; will retry");
                    r.failed += 1;
                }
            }
        }
        Ok(r)
    }

    /// Applies one stored message (idempotent).
    pub async fn apply_inbound(&self, id: i64) -> Result<Applied, EngineError> {
        let Some(bytes) = self.store.inbound_bytes(id).await? else {
            return Ok(Applied::AlreadyApplied);
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !tx.claim_inbound_apply(id, now).await? {
            tx.rollback().await?;
            return Ok(Applied::AlreadyApplied);
        }
        crate::failpoint!("inside_apply");
        let problem = match ShsMessage::parse(bytes::Bytes::from(bytes)) {
            Err(e) => Some(format!("unreadable SHS message: {e}")),
            Ok(msg) => self.apply_message(&mut tx, &msg, now).await?,
        };
        if let Some(p) = &problem {
            tx.set_apply_error(id, p).await?;
            tracing::error!(alert = true, inbound = id, problem = %p, "inbound message kept unmatched");
        }
        tx.commit().await?;
        Ok(Applied::Done(problem))
    }

    async fn apply_message(
        &self,
        tx: &mut StoreTx<'_>,
        msg: &ShsMessage,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        let product = msg.label.product_plain().to_ascii_lowercase();
        if product == "confirm" || product == "error" {
            let Some(part) = msg.parts.first().and_then(|p| p.bytes()) else {
                return Ok(Some(format!(
                    "{product} message without a management document"
                )));
            };
            let m = match Management::parse(part) {
                Ok(m) => m,
                Err(e) => return Ok(Some(format!("{product} document unreadable: {e}"))),
            };
            return self.apply_management(tx, &m, now).await;
        }
        let Some(part) = msg.parts.iter().find(|p| p.filename.is_some()) else {
            return Ok(Some("message without a named data part".into()));
        };
        let name = part.filename.clone().unwrap_or_default();
        let Some(data) = part.bytes() else {
            return Ok(Some(format!("{name}: no bytes")));
        };
        let origin = super::apply_life::Origin {
            file: &name,
            tx_id: &msg.label.tx_id,
        };
        if let Some(read) = super::apply_life::ref2_layouts().read(&name, data) {
            return match read {
                Ok(doc) => self.apply_ref2(tx, &doc, data, origin, now).await,
                Err(e) => Ok(Some(format!("{name}: {e}"))),
            };
        }
        let Some(class) = self.layouts.classify_inbound(&name) else {
            return Ok(Some(format!("{name}: not a known inbound file name")));
        };
        use crate::formats::InboundKind as K;
        match class.kind {
            K::Kvittens => match Kvittens::parse(&self.layouts, data) {
                Ok(k) => self.apply_kvittens(tx, &k, now).await,
                Err(e) => Ok(Some(format!("{name}: {e}"))),
            },
            K::Bekraftelse => match Bekraftelse::parse(&self.layouts, data) {
                Ok(b) => self.apply_bekraftelse(tx, &b, now).await,
                Err(e) => Ok(Some(format!("{name}: {e}"))),
            },
            K::Utslag => match UtslagReport::parse(&self.layouts, data) {
                Ok(u) => self.apply_decisions(tx, &u, &[], origin, now).await,
                Err(e) => Ok(Some(format!("{name}: {e}"))),
            },
        }
    }

    async fn apply_kvittens(
        &self,
        tx: &mut StoreTx<'_>,
        k: &Kvittens,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        let lop = i64::from(k.avser_lopnummer);
        let Some(file) = tx
            .file_awaiting_kvittens(&k.intressentkod, &k.avser_filtyp, lop)
            .await?
        else {
            return Ok(Some(format!(
                "kvittens for {} {} löpnummer {lop} matches no file awaiting a kvittens",
                k.intressentkod, k.avser_filtyp
            )));
        };
        let errors = serde_json::to_string(&k.errors).map_err(|source| EngineError::Serialise {
            what: "kvittens errors",
            source,
        })?;
        let cases = tx.carried_cases(file.id).await?;
        tx.record_kvittens(file.id, k.status, &errors, now).await?;
        match k.status {
            KvittensStatus::Underkand => {
                let reason = format!(
                    "{} löpnummer {lop} rejected whole: {}",
                    file.file_name,
                    k.errors
                        .iter()
                        .map(|e| format!("{} {}", e.felkod, e.feltext))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                tx.move_cases(
                    CaseSelection::File(file.id),
                    &CaseMove::new(Cause::FileRejected, CaseState::Approved, "kvittens", now)
                        .reason(Some(&reason))
                        .update(CaseUpdate {
                            file_id: Some(None),
                            ..CaseUpdate::default()
                        }),
                )
                .await?;
                tracing::warn!(
                    file = file.id,
                    lopnummer = lop,
                    "file rejected whole; cases will be rebuilt"
                );
            }
            KvittensStatus::Godkand => {
                tx.set_series_approved(&file.intressentkod, &file.filtyp, lop)
                    .await?;
                // Case-level errors (niva H) by handlingsref; the named cases are rejected one by one first,
                // then every other case of the file still batched/sent is accepted in one set-based move.
                let mut by_ref: std::collections::HashMap<&str, Vec<Rejection>> =
                    std::collections::HashMap::new();
                for e in k.errors.iter().filter(|e| e.niva == Niva::H) {
                    if let Some(r) = e.reference.as_deref() {
                        by_ref.entry(r).or_default().push(Rejection {
                            felkod: e.felkod.clone(),
                            feltext: e.feltext.clone(),
                        });
                    }
                }
                for case in &cases {
                    let Some(errs) = by_ref.get(case.reference.as_str()) else {
                        continue;
                    };
                    let text = rejection_text(errs);
                    let json =
                        serde_json::to_string(errs).map_err(|source| EngineError::Serialise {
                            what: "case rejection",
                            source,
                        })?;
                    tx.move_cases(
                        CaseSelection::One(case.id),
                        &CaseMove::new(Cause::CaseRejected, CaseState::Rejected, "kvittens", now)
                            .reason(Some(&text))
                            .update(CaseUpdate {
                                rejection_json: Some(json),
                                ..CaseUpdate::default()
                            }),
                    )
                    .await?;
                }
                tx.move_cases(
                    CaseSelection::File(file.id),
                    &CaseMove::new(Cause::Accepted, CaseState::Accepted, "kvittens", now),
                )
                .await?;
                self.track_uppskov(tx, &file.intressentkod, &cases, &by_ref)
                    .await?;
                // An accepted fordringsanmälan is lodged in its skuldsanering (fogd-ref-2.md §5).
                let lodged: Vec<i64> = cases
                    .iter()
                    .filter(|c| {
                        c.kind == CaseKind::Fordringsanmalan.as_str()
                            && !by_ref.contains_key(c.reference.as_str())
                    })
                    .map(|c| c.id)
                    .collect();
                if !lodged.is_empty() {
                    let reason = format!("{} löpnummer {lop} accepted", file.file_name);
                    tx.move_cases(
                        CaseSelection::Ids(&lodged),
                        &CaseMove::new(Cause::Lodged, CaseState::Lodged, "kvittens", now)
                            .reason(Some(&reason)),
                    )
                    .await?;
                }
                for case in &cases {
                    if case.kind != CaseKind::Aterkallelse.as_str()
                        || by_ref.contains_key(case.reference.as_str())
                    {
                        continue;
                    }
                    let Some(parent) = &case.concerns else {
                        continue;
                    };
                    if let Some((pid, _)) = tx
                        .case_by_key(
                            &file.intressentkod,
                            CaseKind::Betalningsforelaggande.as_str(),
                            parent,
                        )
                        .await?
                    {
                        let reason = format!("återkallelse {} accepted", case.reference);
                        tx.move_cases(
                            CaseSelection::One(pid),
                            &CaseMove::new(Cause::Withdrawn, CaseState::Withdrawn, "kvittens", now)
                                .reason(Some(&reason)),
                        )
                        .await?;
                    }
                }
            }
        }
        Ok(None)
    }

    /// An accepted ändring with an uppskov: the verkställighet case it concerns gets the end of the uppskov as a
    /// tracked deadline (`uppskov_end`, fogd-ref-2.md §5).
    async fn track_uppskov(
        &self,
        tx: &mut StoreTx<'_>,
        intressentkod: &str,
        cases: &[crate::store::files::CarriedCase],
        rejected: &std::collections::HashMap<&str, Vec<Rejection>>,
    ) -> Result<(), EngineError> {
        for c in cases {
            if c.kind != CaseKind::VerkstallighetAndring.as_str()
                || rejected.contains_key(c.reference.as_str())
            {
                continue;
            }
            let Some(json) = tx.case_json_of(c.id).await? else {
                continue;
            };
            let Ok(case) = serde_json::from_str::<crate::domain::Case>(&json) else {
                continue;
            };
            let until = case
                .change
                .filter(|ch| ch.kind == crate::domain::case::ChangeKind::Uppskov)
                .and_then(|ch| ch.until);
            let (Some(until), Some(parent)) = (until, &c.concerns) else {
                continue;
            };
            if let Some((pid, _)) = tx
                .case_by_key(intressentkod, CaseKind::Verkstallighet.as_str(), parent)
                .await?
            {
                let source = format!("ändring {} (uppskov)", c.reference);
                tx.set_deadline(pid, "uppskov_end", until, &source).await?;
            }
        }
        Ok(())
    }

    async fn apply_bekraftelse(
        &self,
        tx: &mut StoreTx<'_>,
        b: &Bekraftelse,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        let kind = match b.filtyp {
            BekraftelseTyp::Ansbekr => CaseKind::Betalningsforelaggande,
            BekraftelseTyp::Emalut => CaseKind::Verkstallighet,
        };
        let mut unmatched = Vec::new();
        for e in &b.entries {
            let hit = tx
                .case_by_key(&b.intressentkod, kind.as_str(), &e.reference)
                .await?;
            let done = match hit {
                Some((id, _)) => {
                    let reason = format!("målnummer {}", e.malnummer);
                    let mv =
                        CaseMove::new(Cause::Registered, CaseState::Registered, "bekraftelse", now)
                            .reason(Some(&reason))
                            .update(CaseUpdate {
                                malnummer: Some(e.malnummer.clone()),
                                ..CaseUpdate::default()
                            });
                    tx.move_cases(CaseSelection::One(id), &mv).await?.count == 1
                }
                None => false,
            };
            if !done {
                unmatched.push(e.reference.clone());
            }
        }
        Ok((!unmatched.is_empty()).then(|| {
            format!(
                "bekräftelse: no {kind} case awaiting a målnummer for {}",
                unmatched.join(", ")
            )
        }))
    }

    async fn apply_management(
        &self,
        tx: &mut StoreTx<'_>,
        m: &Management,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        let Some(file) = tx.file_by_tx(&m.corr_id).await? else {
            return Ok(Some(format!(
                "SHS management message for corr.id {} matches no file",
                m.corr_id
            )));
        };
        match &m.kind {
            ManagementKind::Confirmation => {
                tx.record_confirmation(file.id, now).await?;
            }
            ManagementKind::Error { code, info } => {
                let text = format!("SHS error {code}: {}", info.as_deref().unwrap_or(""));
                let retry_at = now
                    + chrono::Duration::seconds(
                        i64::try_from(self.config.batch.send_retry_max_secs).unwrap_or(3600),
                    );
                if tx.return_file_to_built(file.id, &text, retry_at).await? {
                    tx.move_cases(
                        CaseSelection::File(file.id),
                        &CaseMove::new(Cause::SendError, CaseState::Batched, "shs", now)
                            .reason(Some(&text)),
                    )
                    .await?;
                }
                tracing::error!(alert = true, file = file.id, error = %text, "SHS node reported an error for a sent file");
            }
        }
        Ok(None)
    }
}
