//! The life of a FOGD-REF-2 case after registration (fogd-ref-2.md §6): what the simulated Kronofogden sends once
//! an application is registered, day by day on the sim's own calendar.
//!
//! - **BFÖ**: at the utslag a share (`sim.disputed_share`) is disputed: a `BESTRID` notice with `sista_dag` =
//!   the day + 4 weeks. It is handed over (`RAPPORT` D with `domstol`) the next day when the application asked for
//!   it (`yrkande_overlamnande` J) or a begäran O arrived by `sista_dag`, else written off (A) the day after
//!   `sista_dag`. An undisputed case gets its utslag (U); with `yrkande_verkstallighet` J (or later a begäran V)
//!   it continues as an enforcement under a new målnummer, sent as `vs_malnummer` in a `RAPPORT` U.
//! - **Enforcement** (verkställighet cases, and utslag sent on): `sim.life.lub_delay_days` after its start a LUB
//!   (an amount per month), then a DELRED each month paying that amount (less fees due) until paid — then a
//!   slutredovisning `BETALD` — or, for the share `sim.life.no_assets_share`, until the debtor's assets run out
//!   (DELRED and slutredovisning `INGA_TILLGANGAR`); a NYTTAVGAR each year while it is open.
//! - **Fordringsanmälan**: `sim.life.sks_decision_days` after it was lodged, an `SKSRAPP` decision (granted for
//!   the share `sim.life.sks_granted_share`, else refused).
//!
//! Every choice is a hash of the intressentkod and handlingsref ([`fraction`], [`draw`]), so the same cases give
//! the same messages. Cases filed in FOGD-REF-1 are not followed here (they end at the utslag report, as that
//! edition knows no later messages). State: table `kf_life`, one row per followed case.

pub mod docs;

use super::{meta_get, meta_set, product_for, status, KronofogdenBehaviour};
use crate::config::Config;
use crate::domain::CaseKind;
use crate::formats::codec::Value;
use crate::formats::Source;
use crate::shs::DataPart;
use crate::sim::behaviour::{BehaviourError, OutboundReply, SimContext};
use chrono::{Datelike, Months, NaiveDate};
use docs::{Doc, Entry};
use sha2::{Digest, Sha256};
use sqlx::{Row, Sqlite, Transaction};
use std::collections::BTreeMap;

mod begaran;
mod steps;

/// The sim's tables for the life after registration.
pub(super) const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS kf_life (
        case_id INTEGER PRIMARY KEY REFERENCES kf_cases(id),
        phase TEXT NOT NULL, next_on TEXT, sista_dag TEXT, vs_malnummer TEXT, arende TEXT,
        wants_enforcement INTEGER NOT NULL DEFAULT 0, wants_court INTEGER NOT NULL DEFAULT 0,
        debt_ore INTEGER NOT NULL DEFAULT 0, per_month_ore INTEGER NOT NULL DEFAULT 0,
        payments_left INTEGER NOT NULL DEFAULT -1, paid_ore INTEGER NOT NULL DEFAULT 0,
        paid_out_ore INTEGER NOT NULL DEFAULT 0, fees_due_ore INTEGER NOT NULL DEFAULT 0,
        period_from TEXT, fee_on TEXT)",
    "CREATE INDEX IF NOT EXISTS kf_life_next ON kf_life (phase, next_on)",
];

/// Where a followed case is in its life (`kf_life.phase`).
pub(super) mod phase {
    /// Accepted, waiting for registration and its utslag (BFÖ) or start (verkställighet).
    pub const NEW: &str = "new";
    /// Utslag U without enforcement: a begäran V may still come.
    pub const DECIDED: &str = "decided";
    /// Disputed: written off on `next_on` (the day after `sista_dag`) unless handed over.
    pub const DISPUTED: &str = "disputed";
    /// Handed over to tingsrätt on `next_on`.
    pub const HANDOVER: &str = "handover";
    /// A begäran V was accepted: the `RAPPORT` U with `vs_malnummer` goes out on `next_on`.
    pub const ENFORCE: &str = "enforce";
    /// Enforcement started: the LUB on `next_on`.
    pub const LUB: &str = "lub";
    /// Garnishment: a DELRED on `next_on`, a NYTTAVGAR on `fee_on`.
    pub const GARNISHMENT: &str = "garnishment";
    /// Fordringsanmälan lodged: the SKSRAPP on `next_on`.
    pub const LODGED: &str = "lodged";
    /// Nothing more will come.
    pub const CLOSED: &str = "closed";
}

/// The last day to ask for överlämnande: bestridande + 4 weeks (fogd-ref-2.md §3.1).
const SISTA_DAG_DAYS: u64 = 28;

/// Whether a file of `edition` is followed after registration: every edition but FOGD-REF-1.
pub(super) fn followed(edition: Option<&str>) -> bool {
    edition.is_some_and(|e| e != "FOGD-REF-1")
}

/// The first 8 bytes of SHA-256(`"{intressentkod}/{reference}#{salt}"`) as a number.
fn hash(intressentkod: &str, reference: &str, salt: &str) -> u64 {
    let h = Sha256::digest(format!("{intressentkod}/{reference}#{salt}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    u64::from_be_bytes(first)
}

/// A case's fraction in 0..1 for the choice `salt`.
pub fn fraction(intressentkod: &str, reference: &str, salt: &str) -> f64 {
    hash(intressentkod, reference, salt) as f64 / (u64::MAX as f64 + 1.0)
}

/// A case's number in 0..n for the choice `salt` (0 when n is 0).
pub fn draw(intressentkod: &str, reference: &str, salt: &str, n: u64) -> u64 {
    hash(intressentkod, reference, salt)
        .checked_rem(n)
        .unwrap_or(0)
}

/// How an enforcement of `debt` öre goes for a case: (months it would take, amount per month, payments before
/// the assets run out — `None` when it is paid in full). Pure, for tests and demos to predict.
pub fn garnishment_plan(
    config: &Config,
    intressentkod: &str,
    reference: &str,
    debt: i64,
) -> (u64, i64, Option<u64>) {
    let life = &config.sim.life;
    let months = 1 + draw(
        intressentkod,
        reference,
        "months",
        u64::from(life.max_payment_months),
    );
    let m = i64::try_from(months).unwrap_or(1);
    let per_month = (debt.max(0) + m - 1) / m;
    let no_assets = fraction(intressentkod, reference, "assets") < life.no_assets_share;
    let left = no_assets.then(|| draw(intressentkod, reference, "left", months));
    (months, per_month, left)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn plus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(chrono::Days::new(n)).unwrap_or(d)
}

fn plus_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

fn text(s: impl Into<String>) -> Value<'static> {
    Value::Text(s.into().into())
}

fn code(s: &'static str) -> Value<'static> {
    Value::Code(s.into())
}

/// The next målnummer of the sim's one counter (`BF-NNNNNN-YY`, `VS-…`), shared with the evening run.
pub(super) async fn next_malnummer(
    tx: &mut Transaction<'_, Sqlite>,
    prefix: &str,
    today: NaiveDate,
) -> Result<String, sqlx::Error> {
    let seq: i64 = meta_get(tx, "malnummer_seq")
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        + 1;
    meta_set(tx, "malnummer_seq", &seq.to_string()).await?;
    Ok(format!("{prefix}-{seq:06}-{:02}", today.year() % 100))
}

/// Documents of one day, per recipient, intressentkod and kind.
#[derive(Default)]
pub(super) struct Outbox {
    docs: BTreeMap<(String, String, Doc), Vec<Entry>>,
}

impl Outbox {
    pub(super) fn push(&mut self, sender: &str, intressentkod: &str, doc: Doc, entry: Entry) {
        self.docs
            .entry((sender.to_string(), intressentkod.to_string(), doc))
            .or_default()
            .push(entry);
    }

    /// One message per document, in [`Doc`] order per recipient (a day's DELRED before its slutredovisning).
    pub(super) fn into_replies(
        self,
        b: &KronofogdenBehaviour,
        ctx: &SimContext,
    ) -> Result<Vec<OutboundReply>, BehaviourError> {
        let mut keys: Vec<_> = self.docs.into_iter().collect();
        keys.sort_by(|a, b| (a.0 .2, &a.0 .0, &a.0 .1).cmp(&(b.0 .2, &b.0 .0, &b.0 .1)));
        let mut replies = Vec::new();
        for ((sender, intressentkod, doc), entries) in keys {
            let w = b.life.write(doc, &intressentkod, ctx.now_local, &entries)?;
            let product = product_for(&ctx.config, doc.name())?;
            let mut r = OutboundReply::event(
                &sender,
                &product,
                DataPart::new(doc.name(), Some(&w.name), w.content_type, w.bytes),
            );
            r.subject = Some(format!("{} {}", doc.name(), w.name));
            replies.push(r);
        }
        Ok(replies)
    }
}

/// A `RAPPORT` entry (FOGD-REF-2).
pub(super) struct Report<'a> {
    pub reference: &'a str,
    pub malnummer: &'a str,
    pub decision: &'static str,
    pub date: NaiveDate,
    pub amount: i64,
    pub utslag_ref: &'a str,
    pub court: Option<&'a str>,
    pub vs_malnummer: Option<&'a str>,
}

impl Report<'_> {
    pub(super) fn entry(&self) -> Entry {
        vec![
            (Source::EntryReference, text(self.reference)),
            (Source::EntryMalnummer, text(self.malnummer)),
            (Source::EntryDecision, code(self.decision)),
            (Source::EntryDate, Value::Date(self.date)),
            (Source::EntryAmount, Value::Amount(self.amount)),
            (Source::EntryUtslagRef, text(self.utslag_ref)),
            (Source::EntryCourt, self.court.map_or(Value::None, text)),
            (
                Source::EntryEnforcementMalnummer,
                self.vs_malnummer.map_or(Value::None, text),
            ),
        ]
    }
}

/// The utslag ref of a case's U decision.
pub(super) fn utslag_ref(malnummer: &str) -> String {
    format!("U-{malnummer}").chars().take(20).collect()
}

/// A followed BFÖ case at its utslag (called by the utslag run): disputed → BESTRID; U → RAPPORT U, sent on to
/// enforcement when the application asked for it; withdrawn → RAPPORT R.
#[allow(clippy::too_many_arguments)]
pub(super) async fn at_utslag(
    tx: &mut Transaction<'_, Sqlite>,
    ctx: &SimContext,
    out: &mut Outbox,
    id: i64,
    who: (&str, &str),
    href: &str,
    mal: &str,
    withdrawn: bool,
    current: i64,
) -> Result<(), BehaviourError> {
    let (sender, intressentkod) = who;
    let today = ctx.now_local.date();
    let now = crate::shs::format_time(ctx.now_local);
    let (wants_enforcement, wants_court): (i64, i64) =
        sqlx::query_as("SELECT wants_enforcement, wants_court FROM kf_life WHERE case_id = ?")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    let set_case = |st: &'static str, decision: Option<&'static str>, amount: i64| {
        sqlx::query(
            "UPDATE kf_cases SET status = ?, decision = COALESCE(?, decision), decision_amount_ore = ?,
               decided_at = ?, utslag_due = NULL WHERE id = ?",
        )
        .bind(st)
        .bind(decision)
        .bind(amount)
        .bind(now.clone())
        .bind(id)
    };
    if withdrawn {
        set_case(status::WITHDRAWN, Some("R"), 0)
            .execute(&mut **tx)
            .await?;
        set_phase(tx, id, phase::CLOSED, None).await?;
        let r = Report {
            reference: href,
            malnummer: mal,
            decision: "R",
            date: today,
            amount: 0,
            utslag_ref: "",
            court: None,
            vs_malnummer: None,
        };
        out.push(sender, intressentkod, Doc::Utslag, r.entry());
        return Ok(());
    }
    if super::is_disputed(intressentkod, href, ctx.config.sim.disputed_share) {
        let sista_dag = plus_days(today, SISTA_DAG_DAYS);
        set_case(status::DISPUTED, None, 0)
            .execute(&mut **tx)
            .await?;
        let (ph, next) = if wants_court != 0 {
            (phase::HANDOVER, plus_days(today, 1))
        } else {
            (phase::DISPUTED, plus_days(sista_dag, 1))
        };
        sqlx::query("UPDATE kf_life SET phase = ?, next_on = ?, sista_dag = ? WHERE case_id = ?")
            .bind(ph)
            .bind(day(next))
            .bind(day(sista_dag))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        out.push(
            sender,
            intressentkod,
            Doc::Bestridande,
            vec![
                (Source::EntryReference, text(href)),
                (Source::EntryMalnummer, text(mal)),
                (Source::EntryDate, Value::Date(today)),
                (Source::EntryDeadline, Value::Date(sista_dag)),
            ],
        );
        return Ok(());
    }
    set_case(status::DECIDED, Some("U"), current)
        .execute(&mut **tx)
        .await?;
    let vs = if wants_enforcement != 0 {
        let vs = next_malnummer(tx, "VS", today).await?;
        start_enforcement(tx, ctx, id, &vs, current, today).await?;
        Some(vs)
    } else {
        set_phase(tx, id, phase::DECIDED, None).await?;
        None
    };
    let r = Report {
        reference: href,
        malnummer: mal,
        decision: "U",
        date: today,
        amount: current,
        utslag_ref: &utslag_ref(mal),
        court: None,
        vs_malnummer: vs.as_deref(),
    };
    out.push(sender, intressentkod, Doc::Utslag, r.entry());
    Ok(())
}

async fn set_phase(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    ph: &str,
    next: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE kf_life SET phase = ?, next_on = ? WHERE case_id = ?")
        .bind(ph)
        .bind(next.map(day))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Starts an enforcement of `debt` öre under `vs`: the LUB comes `lub_delay_days` later.
async fn start_enforcement(
    tx: &mut Transaction<'_, Sqlite>,
    ctx: &SimContext,
    id: i64,
    vs: &str,
    debt: i64,
    today: NaiveDate,
) -> Result<(), sqlx::Error> {
    let next = plus_days(today, u64::from(ctx.config.sim.life.lub_delay_days));
    sqlx::query(
        "UPDATE kf_life SET phase = ?, next_on = ?, vs_malnummer = ?, debt_ore = ? WHERE case_id = ?",
    )
    .bind(phase::LUB)
    .bind(day(next))
    .bind(vs)
    .bind(debt)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl KronofogdenBehaviour {
    /// Follows the accepted applications of a received file (one whose edition is [`followed`]): BFÖ and
    /// verkställighet wait for registration, a fordringsanmälan for its decision day.
    pub(super) async fn follow(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        ctx: &SimContext,
        kind: CaseKind,
        file_id: i64,
        cases: &[super::check::CaseFacts],
    ) -> Result<(), sqlx::Error> {
        let (ph, next) = match kind {
            CaseKind::Betalningsforelaggande | CaseKind::Verkstallighet => (phase::NEW, None),
            CaseKind::Fordringsanmalan => (
                phase::LODGED,
                Some(plus_days(
                    ctx.now_local.date(),
                    u64::from(ctx.config.sim.life.sks_decision_days),
                )),
            ),
            _ => return Ok(()),
        };
        sqlx::query(
            "INSERT OR IGNORE INTO kf_life (case_id, phase, next_on)
             SELECT id, ?, ? FROM kf_cases WHERE file_id = ? AND status IN (?, ?)",
        )
        .bind(ph)
        .bind(next.map(day))
        .bind(file_id)
        .bind(status::ACCEPTED)
        .bind(status::LODGED)
        .execute(&mut **tx)
        .await?;
        // What only some cases carry, case by case.
        for c in cases.iter().filter(|c| {
            c.errors.is_empty()
                && (c.wants_enforcement || c.wants_court || c.debt_restructuring_case.is_some())
        }) {
            sqlx::query(
                "UPDATE kf_life SET wants_enforcement = ?, wants_court = ?, arende = ?
                 WHERE case_id IN (SELECT id FROM kf_cases WHERE file_id = ? AND handlingsref = ? AND status != ?)",
            )
            .bind(i64::from(c.wants_enforcement))
            .bind(i64::from(c.wants_court))
            .bind(&c.debt_restructuring_case)
            .bind(file_id)
            .bind(&c.reference)
            .bind(status::REJECTED)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Closes a case with its decision (the life is over).
async fn close_case(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    st: &str,
    decision: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE kf_cases SET status = ?, decision = ? WHERE id = ?")
        .bind(st)
        .bind(decision)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    set_phase(tx, id, phase::CLOSED, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_deterministic_and_spread() {
        let c = Config::default();
        let plans: Vec<_> = (0..500)
            .map(|i| garnishment_plan(&c, "DEV", &format!("R-{i}"), 100_000))
            .collect();
        assert_eq!(plans[7], garnishment_plan(&c, "DEV", "R-7", 100_000));
        let max = u64::from(c.sim.life.max_payment_months);
        assert!(plans.iter().all(|(m, _, _)| (1..=max).contains(m)));
        // Paid over its months: months × per month covers the debt, one month less does not.
        for (m, per, _) in &plans {
            let m = i64::try_from(*m).unwrap_or(1);
            assert!(m * per >= 100_000 && (m - 1) * per < 100_000);
        }
        let no_assets = plans.iter().filter(|p| p.2.is_some()).count();
        assert!((50..150).contains(&no_assets), "{no_assets}");
        assert!(plans.iter().all(|(m, _, l)| l.is_none_or(|l| l < *m)));
    }

    #[test]
    fn followed_editions() {
        assert!(followed(Some("FOGD-REF-2")));
        assert!(!followed(Some("FOGD-REF-1")));
        assert!(!followed(None));
    }
}
