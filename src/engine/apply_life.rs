//! Applying Kronofogden's messages after registration (fogd-ref-2.md §3, §5), inside the one transaction
//! [`Engine::apply_inbound`] opens per message:
//!
//! - **BESTRID**: the BFÖ case → `disputed`; its `sista_dag` tracked as the `overlamnande` deadline.
//! - **RAPPORT** (both editions): `U` → `decided` (and, with `vs_malnummer`, on → `enforcement` under that
//!   målnummer), `A` → `written_off`, `D` → `handed_to_court` (with `domstol`), `R` → `withdrawn`.
//! - **SKSRAPP**: the fordringsanmälan → `decided` with beslut, godkänt belopp, plan and utdelning; a later `N`
//!   (förändrad plan) changes the decided case's plan.
//! - **LUB** → `garnishment`; **DELRED**: Redovisat, AvdragnaAvgifter and Aterstar into the ledger (no state
//!   change: a DELRED before its LUB records the payment, and the LUB moves the case when it comes);
//!   **NYTTAVGAR**: the fee into the ledger; **slutredovisning** → `closed` with Orsak, Aterstar into the ledger.
//!
//! Cases are found by Handlingsref (and Målnummer) within the document's intressentkod. Every state change is an
//! event naming the message (file and tx.id). Applying a message twice changes nothing: the message is claimed
//! once, a case already where the message would move it stays, and ledger rows are keyed by (case, kind, what
//! they report: document, målnummer and period or date), so a copy of a message under a new tx.id adds nothing.
//! A document that does not read is kept with its apply error and changes nothing; an entry that names no case
//! is named in the apply error while the others apply (as for the bekräftelse).

use super::{Engine, EngineError};
use crate::domain::state::Cause;
use crate::domain::{Amount, CaseKind, CaseState};
use crate::formats::ref2_inbound::{Ref2Document, Ref2Entry, Ref2Inbound, Ref2Kind};
use crate::formats::{Beslutstyp, Decision, UtslagReport};
use crate::store::life::{MatchedCase, NewLedgerEntry};
use crate::store::{CaseMove, CaseSelection, CaseUpdate, StoreTx};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::OnceLock;

/// The FOGD-REF-2 inbound layouts (shipped with the binary, as `fogd inspect` reads them).
pub fn ref2_layouts() -> &'static Ref2Inbound {
    static SET: OnceLock<Ref2Inbound> = OnceLock::new();
    SET.get_or_init(Ref2Inbound::embedded)
}

/// The message being applied, for event reasons and ledger keys.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    /// Data part's file name.
    pub file: &'a str,
    /// SHS tx.id.
    pub tx_id: &'a str,
}

impl Origin<'_> {
    fn reason(&self, doc: &str, what: &str) -> String {
        format!("{doc} {} (tx {}): {what}", self.file, self.tx_id)
    }
}

/// What became of one entry.
enum Outcome {
    /// Applied, or nothing to change.
    Done,
    /// Named no case it could apply to: why.
    Unmatched(String),
}

fn ser<T: serde::Serialize>(what: &'static str, v: &T) -> Result<String, EngineError> {
    serde_json::to_string(v).map_err(|source| EngineError::Serialise { what, source })
}

/// An entry's required value, or why the document is refused.
fn need<T: Clone>(
    v: &Option<T>,
    doc: &Ref2Document,
    e: &Ref2Entry,
    field: &str,
) -> Result<T, String> {
    v.clone().ok_or_else(|| {
        format!(
            "{} ({}): line {}, field {field}: missing",
            doc.kind.name(),
            doc.layout,
            e.line
        )
    })
}

/// Checks every entry carries what applying needs, before anything is written (a document is applied whole or
/// not at all).
fn check(doc: &Ref2Document) -> Result<(), String> {
    for e in &doc.entries {
        match doc.kind {
            Ref2Kind::Bestridande => {
                need(&e.deadline, doc, e, "sista_dag")?;
            }
            Ref2Kind::Rapport => {
                need(&e.decision, doc, e, "beslutstyp")?;
            }
            Ref2Kind::SksRapport => {
                need(&e.decision, doc, e, "beslut")?;
                need(&e.date, doc, e, "beslutsdatum")?;
            }
            Ref2Kind::Lub => {
                need(&e.malnummer, doc, e, "Malnummer")?;
            }
            Ref2Kind::Delred => {
                need(&e.malnummer, doc, e, "Malnummer")?;
                need(&e.period_to, doc, e, "Period/Till")?;
                need(&e.paid_out, doc, e, "Redovisat")?;
            }
            Ref2Kind::Nyttavgar => {
                need(&e.malnummer, doc, e, "Malnummer")?;
                need(&e.amount, doc, e, "Belopp")?;
                need(&e.charge_date, doc, e, "Debiteras")?;
            }
            Ref2Kind::Slutredovisning => {
                need(&e.malnummer, doc, e, "Malnummer")?;
                need(&e.date, doc, e, "Avslutat")?;
                need(&e.reason, doc, e, "Orsak")?;
            }
        }
    }
    Ok(())
}

/// Terminal and later states a message may find a case in without it being an error (it overtook, or came
/// again): nothing to do.
fn already_past(state: CaseState, past: &[CaseState]) -> bool {
    past.contains(&state)
}

impl Engine {
    /// Applies a FOGD-REF-2 document after registration; the apply error when it (or part of it) matched nothing.
    pub(super) async fn apply_ref2(
        &self,
        tx: &mut StoreTx<'_>,
        doc: &Ref2Document,
        bytes: &[u8],
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        if let Err(p) = check(doc) {
            return Ok(Some(p));
        }
        if doc.kind == Ref2Kind::Rapport {
            // The typed reader of the utslag report reads the FOGD-REF-2 layout through the same sources.
            let report = match UtslagReport::parse(ref2_layouts().fixed(), bytes) {
                Ok(r) => r,
                Err(e) => return Ok(Some(format!("{}: {e}", origin.file))),
            };
            let extra: Vec<(Option<String>, Option<String>)> = doc
                .entries
                .iter()
                .map(|e| (e.court.clone(), e.enforcement_malnummer.clone()))
                .collect();
            return self.apply_decisions(tx, &report, &extra, origin, now).await;
        }
        let mut unmatched = Vec::new();
        for e in &doc.entries {
            let kinds: &[CaseKind] = match doc.kind {
                Ref2Kind::Bestridande | Ref2Kind::Rapport => &[CaseKind::Betalningsforelaggande],
                Ref2Kind::SksRapport => &[CaseKind::Fordringsanmalan],
                _ => &[CaseKind::Verkstallighet, CaseKind::Betalningsforelaggande],
            };
            let hit = tx
                .case_for_message(
                    &doc.intressentkod,
                    &e.handlingsref,
                    e.malnummer.as_deref(),
                    kinds,
                )
                .await?;
            let Some(case) = hit else {
                unmatched.push(format!("{} (no case)", e.handlingsref));
                continue;
            };
            let outcome = match doc.kind {
                Ref2Kind::Bestridande => self.apply_bestrid(tx, &case, e, origin, now).await?,
                Ref2Kind::SksRapport => self.apply_sksrapp(tx, &case, e, origin, now).await?,
                Ref2Kind::Lub => self.apply_lub(tx, &case, e, origin, now).await?,
                Ref2Kind::Delred => self.apply_delred(tx, &case, e, now).await?,
                Ref2Kind::Nyttavgar => self.apply_nyttavgar(tx, &case, e, now).await?,
                Ref2Kind::Slutredovisning => self.apply_slut(tx, &case, e, origin, now).await?,
                Ref2Kind::Rapport => Outcome::Done,
            };
            if let Outcome::Unmatched(why) = outcome {
                unmatched.push(format!("{} ({why})", e.handlingsref));
            }
            crate::failpoint!("inside_ref2_apply");
        }
        Ok((!unmatched.is_empty()).then(|| {
            format!(
                "{} {}: not applied to {}",
                doc.kind.name(),
                origin.file,
                unmatched.join(", ")
            )
        }))
    }

    /// Moves one case; `Unmatched` when its state is not a from-state of the row.
    async fn move_one(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        mv: &CaseMove<'_>,
    ) -> Result<Outcome, EngineError> {
        Ok(
            if tx.move_cases(CaseSelection::One(case.id), mv).await?.count == 1 {
                Outcome::Done
            } else {
                Outcome::Unmatched(format!("case is {}", case.state))
            },
        )
    }

    async fn apply_bestrid(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let Some(sista_dag) = e.deadline else {
            return Ok(Outcome::Unmatched("no sista_dag".into()));
        };
        let past = [
            CaseState::Disputed,
            CaseState::HandedToCourt,
            CaseState::WrittenOff,
            CaseState::Withdrawn,
        ];
        let outcome = if already_past(case.state, &past) {
            Outcome::Done
        } else {
            let reason = origin.reason(
                "BESTRID",
                &format!(
                    "bestridande {}, sista dag {sista_dag}",
                    e.date.map(|d| d.to_string()).unwrap_or_default()
                ),
            );
            let mv = CaseMove::new(Cause::Disputed, CaseState::Disputed, "bestrid", now)
                .reason(Some(&reason));
            self.move_one(tx, case, &mv).await?
        };
        if matches!(outcome, Outcome::Done) {
            let source = format!("BESTRID {}", origin.file);
            tx.set_deadline(case.id, "overlamnande", sista_dag, &source)
                .await?;
        }
        Ok(outcome)
    }

    /// The decisions of an utslag report (FOGD-REF-1, or FOGD-REF-2 with `extra` = (domstol, vs_malnummer) per
    /// decision).
    pub(super) async fn apply_decisions(
        &self,
        tx: &mut StoreTx<'_>,
        u: &UtslagReport,
        extra: &[(Option<String>, Option<String>)],
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, EngineError> {
        let mut unmatched = Vec::new();
        for (i, d) in u.decisions.iter().enumerate() {
            let (court, vs) = extra.get(i).cloned().unwrap_or((None, None));
            let hit = tx
                .case_for_message(
                    &u.intressentkod,
                    &d.reference,
                    Some(&d.malnummer),
                    &[CaseKind::Betalningsforelaggande],
                )
                .await?;
            let Some(case) = hit else {
                unmatched.push(format!("{} (no case)", d.reference));
                continue;
            };
            if let Outcome::Unmatched(why) = self
                .apply_decision(tx, &case, d, court, vs, origin, now)
                .await?
            {
                unmatched.push(format!("{} ({why})", d.reference));
            }
        }
        Ok((!unmatched.is_empty()).then(|| {
            format!(
                "utslag report: no case awaiting a decision for {}",
                unmatched.join(", ")
            )
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_decision(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        d: &Decision,
        court: Option<String>,
        vs: Option<String>,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let (cause, to) = match d.beslutstyp {
            Beslutstyp::Utslag => (Cause::Decided, CaseState::Decided),
            Beslutstyp::Avskrivning => (Cause::WrittenOff, CaseState::WrittenOff),
            Beslutstyp::Domstol => (Cause::HandedToCourt, CaseState::HandedToCourt),
            Beslutstyp::Aterkallad => (Cause::Withdrawn, CaseState::Withdrawn),
        };
        let mut what = format!("{} {}", d.beslutstyp.words(), d.malnummer);
        if let Some(c) = &court {
            what.push_str(&format!(", {c}"));
        }
        let reason = origin.reason("RAPPORT", &what);
        // Already there, or further on (an utslag gone to enforcement, garnished, closed): nothing to do but
        // continue into enforcement below.
        let later = [
            CaseState::Enforcement,
            CaseState::Garnishment,
            CaseState::Closed,
        ];
        let mut state = case.state;
        if state != to && !(to == CaseState::Decided && later.contains(&state)) {
            let outcome_json = match &court {
                Some(c) => Some(ser("outcome", &serde_json::json!({ "domstol": c }))?),
                None => None,
            };
            let mv = CaseMove::new(cause, to, "utslag", now)
                .reason(Some(&reason))
                .update(CaseUpdate {
                    decision_json: Some(ser("decision", d)?),
                    outcome_json,
                    ..CaseUpdate::default()
                });
            if let Outcome::Unmatched(why) = self.move_one(tx, case, &mv).await? {
                return Ok(Outcome::Unmatched(why));
            }
            state = to;
        }
        let Some(vs) = vs.filter(|v| !v.is_empty()) else {
            return Ok(Outcome::Done);
        };
        if d.beslutstyp != Beslutstyp::Utslag {
            return Ok(Outcome::Done);
        }
        if state == CaseState::Decided {
            let why = origin.reason("RAPPORT", &format!("utslag to enforcement as {vs}"));
            let mv = CaseMove::new(Cause::Enforcement, CaseState::Enforcement, "utslag", now)
                .reason(Some(&why))
                .update(CaseUpdate {
                    enforcement_malnummer: Some(vs),
                    ..CaseUpdate::default()
                });
            tx.move_cases(CaseSelection::One(case.id), &mv).await?;
        } else if case.enforcement_malnummer.is_none() {
            // Garnished or closed before this report came: the målnummer is still the case's.
            tx.set_enforcement_malnummer(case.id, &vs).await?;
        }
        Ok(Outcome::Done)
    }

    async fn apply_sksrapp(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let beslut = e.decision.clone().unwrap_or_default();
        let outcome = serde_json::json!({
            "beslut": beslut,
            "beslutsdatum": e.date,
            "arendenummer": e.debt_restructuring_case,
            "godkant_belopp": e.amount.map(Amount),
            "plan_manader": e.plan_months,
            "utdelning_promille": e.dividend_per_mille,
        });
        let json = ser("skuldsanering decision", &outcome)?;
        if case.outcome_json.as_deref() == Some(json.as_str()) {
            return Ok(Outcome::Done);
        }
        let what = format!(
            "{beslut} {}, godkänt {}, plan {} månader, utdelning {} ‰",
            e.date.map(|d| d.to_string()).unwrap_or_default(),
            e.amount
                .map(Amount)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            e.plan_months.unwrap_or(0),
            e.dividend_per_mille.unwrap_or(0)
        );
        let reason = origin.reason("SKSRAPP", &what);
        let cause = if case.state == CaseState::Decided {
            Cause::PlanChanged
        } else {
            Cause::Decided
        };
        let mv = CaseMove::new(cause, CaseState::Decided, "sksrapp", now)
            .reason(Some(&reason))
            .update(CaseUpdate {
                outcome_json: Some(json),
                ..CaseUpdate::default()
            });
        self.move_one(tx, case, &mv).await
    }

    async fn apply_lub(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        if already_past(case.state, &[CaseState::Garnishment, CaseState::Closed]) {
            return Ok(Outcome::Done);
        }
        let what = format!(
            "löneutmätning {} per månad från {}",
            e.amount_per_month
                .map(Amount)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            e.from.map(|d| d.to_string()).unwrap_or_default()
        );
        let reason = origin.reason("LUB", &what);
        let mv = CaseMove::new(Cause::Garnishment, CaseState::Garnishment, "lub", now)
            .reason(Some(&reason))
            .update(CaseUpdate {
                enforcement_malnummer: self.enforcement_malnummer_of(case, e),
                ..CaseUpdate::default()
            });
        self.move_one(tx, case, &mv).await
    }

    /// A BFÖ case named by an enforcement document under another målnummer, whose utslag report has not said so
    /// yet: that målnummer is its enforcement målnummer.
    fn enforcement_malnummer_of(&self, case: &MatchedCase, e: &Ref2Entry) -> Option<String> {
        let m = e.malnummer.clone()?;
        (case.kind == CaseKind::Betalningsforelaggande.as_str()
            && case.enforcement_malnummer.is_none()
            && case.malnummer.as_deref() != Some(m.as_str()))
        .then_some(m)
    }

    async fn apply_delred(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let (Some(to), Some(m)) = (e.period_to, e.malnummer.as_deref()) else {
            return Ok(Outcome::Unmatched("no period".into()));
        };
        let from = e.period_from.map(|d| d.to_string()).unwrap_or_default();
        let source = format!("DELRED {m} {from}..{to}");
        ledger(tx, case, "paid_out", e.paid_out, to, &source, now).await?;
        ledger(tx, case, "fees_deducted", e.fees_deducted, to, &source, now).await?;
        ledger(tx, case, "remaining", e.remaining, to, &source, now).await?;
        Ok(Outcome::Done)
    }

    async fn apply_nyttavgar(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let (Some(at), Some(m)) = (e.charge_date, e.malnummer.as_deref()) else {
            return Ok(Outcome::Unmatched("no date".into()));
        };
        let source = format!("NYTTAVGAR {m} {at}");
        ledger(tx, case, "fee", e.amount, at, &source, now).await?;
        Ok(Outcome::Done)
    }

    async fn apply_slut(
        &self,
        tx: &mut StoreTx<'_>,
        case: &MatchedCase,
        e: &Ref2Entry,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let (Some(at), Some(m), Some(orsak)) =
            (e.date, e.malnummer.as_deref(), e.reason.as_deref())
        else {
            return Ok(Outcome::Unmatched("incomplete".into()));
        };
        let source = format!("slutredovisning {m} {at}");
        ledger(tx, case, "remaining", e.remaining, at, &source, now).await?;
        if case.state == CaseState::Closed {
            return Ok(Outcome::Done);
        }
        let outcome = serde_json::json!({
            "orsak": orsak,
            "avslutat": at,
            "totalt_redovisat": e.total_paid_out.map(Amount),
            "aterstar": e.remaining.map(Amount),
        });
        let what = format!(
            "avslutat {at}, orsak {orsak}, återstår {}",
            e.remaining
                .map(Amount)
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let reason = origin.reason("slutredovisning", &what);
        let mv = CaseMove::new(Cause::Closed, CaseState::Closed, "slutredovisning", now)
            .reason(Some(&reason))
            .update(CaseUpdate {
                outcome_json: Some(ser("closing", &outcome)?),
                enforcement_malnummer: self.enforcement_malnummer_of(case, e),
                ..CaseUpdate::default()
            });
        self.move_one(tx, case, &mv).await
    }
}

/// Records a ledger entry when the document carried the amount (idempotent by case, kind and source).
async fn ledger(
    tx: &mut StoreTx<'_>,
    case: &MatchedCase,
    kind: &str,
    amount: Option<i64>,
    at: NaiveDate,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    if let Some(amount_ore) = amount {
        let e = NewLedgerEntry {
            kind,
            amount_ore,
            at,
            source,
        };
        tx.insert_ledger_entry(case.id, &e, now).await?;
    }
    Ok(())
}
