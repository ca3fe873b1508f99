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
    let wants_enforcement: (i64,) =
        sqlx::query_as("SELECT wants_enforcement FROM kf_life WHERE case_id = ?")
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
        let wants_court: (i64,) =
            sqlx::query_as("SELECT wants_court FROM kf_life WHERE case_id = ?")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        let (ph, next) = if wants_court.0 != 0 {
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
    let vs = if wants_enforcement.0 != 0 {
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

    /// Everything of the life after registration that is due on the sim's day `ctx.now_local`.
    pub(super) async fn run_life(
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
        let mut out = Outbox::default();
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
