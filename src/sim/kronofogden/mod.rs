//! Kronofogden in the reference profile (FOGD-REF-1 and FOGD-REF-2) behind the simulated SHS node (kronofogden.md §2.3–2.6): the
//! [`Behaviour`] that `fogd sim` runs.
//!
//! - **Editions** (fogd-ref-2.md §1): a received file is read with the layouts of the edition its head names
//!   (`utgava`), FOGD-REF-1 or FOGD-REF-2, and answered in it (kvittens, bekräftelse, utslag report); an edition
//!   the node does not know → kvittens U with felkod 0005. FOGD-REF-2 applications are also checked for content
//!   ([`content`]).
//!
//! - **Received file** ([`Behaviour::on_message`]): the product must name a transaction layout in `shs.products`;
//!   the data parts are the transaktionsfil (the part typed `transaktionsfil`, else the first) and the missiv (the
//!   part typed `missiv`, else one whose name ends in `.MISSIV`). The formal check ([`check::check_file`]) gives
//!   file-level felkoder (status U) and case-level ones (niva H); then the löpnummer series per (intressentkod,
//!   filtyp) — not last approved + 1 → 0010, already approved → 0011; an unknown series expects
//!   `batch.first_lopnummer` (the sim shares fogd's config, so an ingivare continuing an old series starts where
//!   its fogd does); then, for a file that is not rejected whole, per case: an application whose handlingsref is
//!   already held for that intressentkod and kind (earlier or in the same file, not rejected) → 0060; a follow-up
//!   naming a målnummer unknown for that intressentkod and register → 0050, a withdrawn or decided case → 0051; a
//!   nedsättning larger than what remains → 0043. A kvittens answers at once, addressed to the sender, correlated
//!   by the message's `corr.id`. A U file does not consume its löpnummer; a G file advances the series even when
//!   cases were rejected.
//! - **Intressentkod and sender**: the sim accepts any intressentkod from any sender and records both (a real node
//!   would check the permit register; the sim has none). When the file's head is unreadable the kvittens uses
//!   `ingivare.intressentkod`.
//! - **Follow-ups apply at once**: nedsättning reduces the remaining claim, återkallelse withdraws (closes) the
//!   case and reports it `R` in the next utslag report, ändring sets the new capital (B), withdraws (A) or records
//!   a deferral (U).
//! - **Evening run** (cron `sim.evening_run` in `sim.timezone`, checked in [`Behaviour::due`]; or `POST
//!   /sim/v1/evening-run`): every accepted BFÖ and verkställighet case gets a målnummer (`BF-NNNNNN-YY` /
//!   `VS-NNNNNN-YY`, one counter, so unique) and each file a bekräftelse (ANSBEKR / EMALUT). The first tick after
//!   a start records the time only; a run missed while stopped happens once at the next tick.
//! - **Utslag**: `sim.utslag_delay_secs` after registration each BFÖ case is decided in a RAPPORT: `A`
//!   (disputed) for the share `sim.disputed_share` picked by [`is_disputed`] (a hash, so tests can predict it),
//!   else `U` with faststallt_belopp = the claimed total less nedsättningar.
//! - **After registration (FOGD-REF-2)** ([`life`]): a case filed in a file whose head names FOGD-REF-2 lives on —
//!   a dispute becomes a `BESTRID` notice and later a handover (D) or write-off (A), an utslag may go on to
//!   enforcement (LUB, monthly DELRED, yearly NYTTAVGAR, slutredovisning), a fordringsanmälan gets an `SKSRAPP`
//!   decision; a begäran (`{ik}.BEGARAN`) asks for handover or enforcement and is answered in
//!   `SUPRO.{ik}.BEGKVITT`. FOGD-REF-1 cases behave as above.
//! - **Calendar** ([`calendar`]): every call sees the clock plus the days the calendar was moved (`POST
//!   /sim/v1/advance`), so months of a case's life can pass in a test or a demo.
//! - **Hook**: a `reject=FELKOD` fault ([`SimContext::reject_with`]) rejects the next file whole with that felkod.
//!
//! All state lives in the sim's SQLite file (tables `kf_*`), so it survives restarts. State-changing calls are
//! serialised by one lock.

pub mod check;
pub mod content;
pub mod life;

use super::behaviour::{Behaviour, BehaviourError, OutboundReply, Rejection, SimContext};
use crate::config::Config;
use crate::domain::case::ChangeKind;
use crate::domain::{Amount, CaseKind};
use crate::formats::{
    bekraftelse_file_name, kvittens_file_name, utslag_file_name, Bekraftelse, BekraftelseEntry,
    BekraftelseTyp, Beslutstyp, Decision, Kvittens, KvittensError, KvittensStatus, LayoutRole,
    LayoutSet, Niva, UtslagReport,
};
use crate::shs::{DataPart, SequenceType, ShsErrorCode, ShsMessage, SPECIAL_PRODUCTS};
use check::{case_error, check_file, file_error, rule_felkod};
use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use std::collections::{BTreeMap, HashSet};

mod admin;
pub mod calendar;
mod semantic;
pub use calendar::MAX_ADVANCE_DAYS;
mod evening;

/// Content type of every file part the sim sends.
const TEXT_LATIN1: &str = "text/plain; charset=ISO-8859-1";

/// Case statuses in `kf_cases.status`.
mod status {
    /// Application accepted, waiting for the evening run.
    pub const ACCEPTED: &str = "accepted";
    /// Fordringsanmälan accepted (no bekräftelse in FOGD-REF-1).
    pub const LODGED: &str = "lodged";
    /// Registered with a målnummer.
    pub const REGISTERED: &str = "registered";
    /// Decided in an utslag report.
    pub const DECIDED: &str = "decided";
    /// Withdrawn (closed for follow-ups).
    pub const WITHDRAWN: &str = "withdrawn";
    /// Rejected in the kvittens (niva H).
    pub const REJECTED: &str = "rejected";
    /// A follow-up that was applied.
    pub const APPLIED: &str = "applied";
    /// FOGD-REF-2: disputed (a bestridande notice was sent).
    pub const DISPUTED: &str = "disputed";
    /// FOGD-REF-2: handed over to tingsrätt (D).
    pub const HANDED_OVER: &str = "handed_over";
    /// FOGD-REF-2: written off after a dispute (A).
    pub const WRITTEN_OFF: &str = "written_off";
    /// FOGD-REF-2: an enforcement closed with its slutredovisning.
    pub const CLOSED: &str = "closed";
}

/// Rows or bound values per chunk in the sim's set-based statements (13 columns × 200 rows stays far below
/// SQLite's parameter limit).
const SQL_CHUNK: usize = 200;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS kf_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kf_series (
        intressentkod TEXT NOT NULL, filtyp TEXT NOT NULL, last_approved INTEGER NOT NULL,
        PRIMARY KEY (intressentkod, filtyp))",
    "CREATE TABLE IF NOT EXISTS kf_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tx_id TEXT NOT NULL UNIQUE, corr_id TEXT NOT NULL, sender TEXT NOT NULL, received_at TEXT NOT NULL,
        name TEXT NOT NULL, missiv_name TEXT, layout TEXT NOT NULL, kind TEXT NOT NULL, filtyp TEXT NOT NULL,
        intressentkod TEXT NOT NULL, lopnummer INTEGER, sha256 TEXT NOT NULL, status TEXT NOT NULL,
        errors_json TEXT NOT NULL, handlingsrefs_json TEXT NOT NULL, kvittens_name TEXT NOT NULL,
        bekraftelse_sent INTEGER NOT NULL DEFAULT 0, edition TEXT)",
    "CREATE TABLE IF NOT EXISTS kf_cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES kf_files(id),
        intressentkod TEXT NOT NULL, kind TEXT NOT NULL, handlingsref TEXT NOT NULL, sender TEXT NOT NULL,
        status TEXT NOT NULL, malnummer TEXT UNIQUE, claimed_ore INTEGER NOT NULL DEFAULT 0,
        current_ore INTEGER NOT NULL DEFAULT 0, concerns_malnummer TEXT, amount_ore INTEGER, change_kind TEXT,
        deferral_until TEXT, registered_at TEXT, utslag_due INTEGER, decision TEXT, decision_amount_ore INTEGER,
        decided_at TEXT, felkoder_json TEXT NOT NULL DEFAULT '[]')",
    "CREATE INDEX IF NOT EXISTS kf_cases_ref ON kf_cases (intressentkod, kind, handlingsref)",
    "CREATE INDEX IF NOT EXISTS kf_cases_status ON kf_cases (status, kind)",
];

/// Kronofogden's behaviour in the reference profile, either edition (see the module doc).
pub struct KronofogdenBehaviour {
    layouts: LayoutSet,
    life: life::docs::LifeLayouts,
    /// The layouts of every edition it serves: `layouts` first, then each other shipped edition; a file is read
    /// with the edition its head names (fogd-ref-2.md §1).
    editions: Vec<LayoutSet>,
    lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KronofogdenBehaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KronofogdenBehaviour")
            .finish_non_exhaustive()
    }
}

impl KronofogdenBehaviour {
    /// A behaviour reading and writing files with `layouts` (and their felkod table), plus the FOGD-REF-2
    /// begäran (`bfo-begaran`) when `layouts` lacks it; the life after registration with the shipped FOGD-REF-2
    /// layouts.
    pub fn new(layouts: LayoutSet) -> Self {
        Self::with_life(layouts, life::docs::LifeLayouts::embedded())
    }

    fn with_life(mut layouts: LayoutSet, life: life::docs::LifeLayouts) -> Self {
        if layouts.for_kind(CaseKind::Begaran).is_none() {
            if let Some(b) = crate::formats::edition::embedded_fixed("FOGD-REF-2")
                .into_iter()
                .find(|l| l.case_kind == Some(CaseKind::Begaran))
            {
                layouts = layouts.with_layout(b);
            }
        }
        let mut editions = vec![layouts.clone()];
        editions.extend(
            crate::formats::edition::EDITIONS
                .iter()
                .filter(|e| layouts.edition() != Some(**e))
                .filter_map(|e| LayoutSet::embedded_edition(e)),
        );
        Self {
            layouts,
            life,
            editions,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The configured edition's embedded layouts (`[layouts] edition`, FOGD-REF-2 when unset), overridden by the
    /// `*.toml` files of `[layouts] dir`; every other shipped edition is served too.
    pub fn from_config(config: &Config) -> Result<Self, BehaviourError> {
        Ok(Self::with_life(
            layouts_from_config(config)?,
            life::docs::LifeLayouts::from_config(config)?,
        ))
    }

    /// The layouts in use.
    pub fn layouts(&self) -> &LayoutSet {
        &self.layouts
    }

    /// The layouts of `edition` (what a received file named), to answer in the edition the ingivare sent; a file
    /// recorded before editions were (`None`) was FOGD-REF-1; an edition the node does not serve: `layouts`.
    fn edition_set(&self, edition: Option<&str>) -> &LayoutSet {
        let edition = edition.unwrap_or("FOGD-REF-1");
        self.editions
            .iter()
            .find(|s| s.edition() == Some(edition))
            .unwrap_or(&self.layouts)
    }
}

/// The layout set for `config`: the configured edition's embedded layouts plus the `*.toml` files of
/// `[layouts] dir` (read here; the sim may do I/O, `formats` may not).
pub fn layouts_from_config(config: &Config) -> Result<LayoutSet, BehaviourError> {
    crate::layout_files::load(config).map_err(|e| BehaviourError::Other(e.to_string()))
}

/// Whether the debtor disputes the BFÖ case `reference` of `intressentkod`, for a disputed share `share`
/// (0..=1): the first 8 bytes of SHA-256(`"{intressentkod}/{reference}"`) as a fraction of 2^64 below `share`.
/// Deterministic, so tests and demos can predict the decision.
pub fn is_disputed(intressentkod: &str, reference: &str, share: f64) -> bool {
    if share >= 1.0 {
        return true;
    }
    let h = Sha256::digest(format!("{intressentkod}/{reference}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    let x = u64::from_be_bytes(first) as f64 / (u64::MAX as f64 + 1.0);
    x < share
}

/// The målnummer prefix for a registered case kind (opaque text to fogd).
fn malnummer_prefix(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Verkstallighet => "VS",
        _ => "BF",
    }
}

fn db_rejection(e: impl std::fmt::Display) -> Rejection {
    Rejection {
        code: ShsErrorCode::OtherError,
        info: format!("sim state: {e}"),
    }
}

fn product_for(config: &Config, key: &str) -> Result<String, BehaviourError> {
    config
        .shs
        .products
        .get(key)
        .cloned()
        .ok_or_else(|| BehaviourError::Other(format!("shs.products has no {key:?}")))
}

fn build_err(e: impl std::fmt::Display) -> BehaviourError {
    BehaviourError::Other(format!("building a reply: {e}"))
}

async fn meta_get(
    tx: &mut Transaction<'_, Sqlite>,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    let r: Option<(String,)> = sqlx::query_as("SELECT value FROM kf_meta WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(r.map(|r| r.0))
}

async fn meta_set(
    tx: &mut Transaction<'_, Sqlite>,
    key: &str,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO kf_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The cases of one received file registered by an evening run (one bekräftelse).
struct FileRegistrations {
    kind: CaseKind,
    intressentkod: String,
    sender: String,
    corr: String,
    lop: i64,
    /// The edition the file named (`None`: recorded before editions were).
    edition: Option<String>,
    entries: Vec<BekraftelseEntry>,
}

/// The handlingsrefs a file's applications met so far (a second one in the same file is a duplicate, 0060), and
/// those already held before the file (prefetched for applications).
struct FileHandlingsrefs {
    in_file: HashSet<String>,
    held: Option<HashSet<String>>,
}

/// The registered case a follow-up names.
struct Target {
    id: i64,
    status: String,
    current: i64,
}

impl KronofogdenBehaviour {
    async fn receive(
        &self,
        ctx: &SimContext,
        msg: &ShsMessage,
    ) -> Result<Vec<OutboundReply>, Rejection> {
        let product = msg.label.product_plain();
        if msg.label.sequence_type == SequenceType::Adm
            || SPECIAL_PRODUCTS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(product))
        {
            return Ok(Vec::new());
        }
        let file_bytes = msg
            .parts
            .iter()
            .find(|p| p.datapart_type.eq_ignore_ascii_case("transaktionsfil"))
            .or_else(|| msg.parts.first())
            .and_then(|p| p.bytes());
        // The edition the file names in its head picks the layouts; one the node does not know → 0005.
        let (set, unknown_edition) =
            match file_bytes.map(|b| crate::formats::edition::set_for_file(&self.editions, b)) {
                Some(Ok(Some(set))) => (set, None),
                Some(Err(named)) => (&self.layouts, Some(named)),
                _ => (&self.layouts, None),
            };
        let layout = ctx
            .config
            .shs
            .products
            .iter()
            .find(|(_, v)| v.eq_ignore_ascii_case(product))
            .and_then(|(k, _)| set.get(k))
            .filter(|l| l.role == LayoutRole::Transaction)
            .ok_or_else(|| Rejection {
                code: ShsErrorCode::IllegalProductType,
                info: format!("product {product} is not a file Kronofogden receives"),
            })?;
        let kind = layout.case_kind.ok_or_else(|| Rejection {
            code: ShsErrorCode::IllegalProductType,
            info: format!("layout {} carries no case kind", layout.name),
        })?;
        let file_part = msg
            .parts
            .iter()
            .find(|p| p.datapart_type.eq_ignore_ascii_case("transaktionsfil"))
            .or_else(|| msg.parts.first())
            .ok_or_else(|| Rejection {
                code: ShsErrorCode::IllegalMessageStructure,
                info: "no transaktionsfil data part".into(),
            })?;
        let missiv_part = msg.parts.iter().find(|p| {
            !std::ptr::eq(*p, file_part)
                && (p.datapart_type.eq_ignore_ascii_case("missiv")
                    || p.filename
                        .as_deref()
                        .is_some_and(|n| n.to_ascii_uppercase().ends_with(".MISSIV")))
        });
        let file = file_part.bytes().ok_or_else(|| Rejection {
            code: ShsErrorCode::IllegalDatapartContent,
            info: "the transaktionsfil part has no content".into(),
        })?;
        let missiv = missiv_part.and_then(|p| p.bytes());
        let sender = msg.label.sender_org().unwrap_or_default().to_string();

        let _guard = self.lock.lock().await;
        let seen: Option<(i64,)> = sqlx::query_as("SELECT id FROM kf_files WHERE tx_id = ?")
            .bind(&msg.label.tx_id)
            .fetch_optional(&ctx.pool)
            .await
            .map_err(db_rejection)?;
        if seen.is_some() {
            // The same tx.id raced past the node's duplicate check: answered already.
            return Ok(Vec::new());
        }

        let mut check = check_file(set, layout, file, missiv.map(|b| b.as_ref()));
        if let Some(named) = &unknown_edition {
            let e = file_error(
                set,
                rule_felkod::UNKNOWN_EDITION,
                Some(&format!("okand utgava {named}")),
            );
            check.file_errors.insert(0, e);
        }
        content::check_content(set, layout, file, &mut check);
        let intressentkod = check
            .intressentkod
            .clone()
            .unwrap_or_else(|| ctx.config.ingivare.intressentkod.clone());
        let mut tx = crate::sim::db::begin_write(&ctx.pool)
            .await
            .map_err(db_rejection)?;

        // Löpnummer series.
        if let Some(lop) = check.lopnummer {
            let last: Option<(i64,)> = sqlx::query_as(
                "SELECT last_approved FROM kf_series WHERE intressentkod = ? AND filtyp = ?",
            )
            .bind(&intressentkod)
            .bind(&layout.filtyp)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_rejection)?;
            let last = last.map(|r| r.0);
            let expected = last.map_or(i64::from(ctx.config.batch.first_lopnummer), |l| l + 1);
            let lop = i64::from(lop);
            if lop != expected {
                let (code, text) = if last.is_some_and(|l| lop <= l) {
                    (
                        rule_felkod::LOPNUMMER_APPROVED,
                        format!(
                            "lopnummer {lop} ar redan godkant (senast godkanda {})",
                            last.unwrap_or(0)
                        ),
                    )
                } else {
                    (
                        rule_felkod::LOPNUMMER_NOT_NEXT,
                        format!("lopnummer {lop}, vantat {expected}"),
                    )
                };
                check.push_file_error(file_error(set, code, Some(&text)));
            }
        }
        if let Some(code) = &ctx.reject_with {
            check.push_file_error(file_error(set, code, None));
        }
        let accepted_file = check.file_errors.is_empty();
        let kvittens_status = if accepted_file {
            KvittensStatus::Godkand
        } else {
            KvittensStatus::Underkand
        };

        // Case-level checks and effects (only for a file that is not rejected whole).
        let received_at = crate::shs::format_time(ctx.now_local);
        let file_name = file_part
            .filename
            .clone()
            .unwrap_or_else(|| layout.file_name_for(&intressentkod));
        let kvittens_name = kvittens_file_name(set, kind, &intressentkod)
            .unwrap_or_else(|| format!("{intressentkod}.KVITTENS"));
        let handlingsrefs: Vec<&str> = check.cases.iter().map(|c| c.reference.as_str()).collect();
        let file_id: i64 = sqlx::query_scalar(
            "INSERT INTO kf_files (tx_id, corr_id, sender, received_at, name, missiv_name, layout, kind, filtyp,
               intressentkod, lopnummer, sha256, status, errors_json, handlingsrefs_json, kvittens_name, edition)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?) RETURNING id",
        )
        .bind(&msg.label.tx_id)
        .bind(&msg.label.corr_id)
        .bind(&sender)
        .bind(&received_at)
        .bind(&file_name)
        .bind(missiv_part.and_then(|p| p.filename.clone()))
        .bind(&layout.name)
        .bind(kind.as_str())
        .bind(&layout.filtyp)
        .bind(&intressentkod)
        .bind(check.lopnummer.map(i64::from))
        .bind(hex::encode(Sha256::digest(file)))
        .bind(kvittens_status.as_str())
        .bind(serde_json::to_string(&handlingsrefs).unwrap_or_default())
        .bind(&kvittens_name)
        .bind(&layout.edition)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_rejection)?;

        let mut case_errors: Vec<KvittensError> = Vec::new();
        let mut n_ok = 0u32;
        let mut n_rejected = 0u32;
        if accepted_file {
            if let Some(lop) = check.lopnummer {
                sqlx::query(
                    "INSERT INTO kf_series (intressentkod, filtyp, last_approved) VALUES (?, ?, ?)
                     ON CONFLICT(intressentkod, filtyp) DO UPDATE SET last_approved = excluded.last_approved",
                )
                .bind(&intressentkod)
                .bind(&layout.filtyp)
                .bind(i64::from(lop))
                .execute(&mut *tx)
                .await
                .map_err(db_rejection)?;
            }
            let in_file: HashSet<String> = HashSet::new();
            // Applications: which handlingsrefs are already held, in one query per chunk (not one per case).
            let held = if kind.concerns_kind().is_none() {
                let mut held: HashSet<String> = HashSet::new();
                for chunk in check.cases.chunks(SQL_CHUNK) {
                    let mut qb = QueryBuilder::<Sqlite>::new(
                        "SELECT handlingsref FROM kf_cases WHERE intressentkod = ",
                    );
                    qb.push_bind(&intressentkod)
                        .push(" AND kind = ")
                        .push_bind(kind.as_str())
                        .push(" AND status != ")
                        .push_bind(status::REJECTED)
                        .push(" AND handlingsref IN (");
                    let mut sep = qb.separated(", ");
                    for c in chunk {
                        sep.push_bind(&c.reference);
                    }
                    qb.push(")");
                    let rows: Vec<(String,)> = qb
                        .build_query_as()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_rejection)?;
                    held.extend(rows.into_iter().map(|r| r.0));
                }
                Some(held)
            } else {
                None
            };
            let mut refs = FileHandlingsrefs { in_file, held };
            let mut rows: Vec<(&check::CaseFacts, &'static str, String)> =
                Vec::with_capacity(check.cases.len());
            for c in &check.cases {
                let mut errs = c.errors.clone();
                if errs.is_empty() {
                    if let Some(e) = self
                        .semantic(&mut tx, ctx, kind, &intressentkod, c, &mut refs)
                        .await?
                    {
                        errs.push(e);
                    }
                }
                let st = if !errs.is_empty() {
                    status::REJECTED
                } else if kind.is_follow_up() || kind == CaseKind::Begaran {
                    status::APPLIED
                } else if kind == CaseKind::Fordringsanmalan {
                    status::LODGED
                } else {
                    status::ACCEPTED
                };
                let felkoder: Vec<&str> = errs.iter().map(|e| e.felkod.as_str()).collect();
                rows.push((c, st, serde_json::to_string(&felkoder).unwrap_or_default()));
                if errs.is_empty() {
                    n_ok += 1;
                } else {
                    n_rejected += 1;
                    case_errors.extend(errs);
                }
            }
            // The file's cases in multi-row INSERTs (a follow-up's effect above touches only cases of its
            // register kind, never rows of this file, so inserting them last changes nothing).
            for chunk in rows.chunks(SQL_CHUNK) {
                let mut qb = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO kf_cases (file_id, intressentkod, kind, handlingsref, sender, status, claimed_ore,
                       current_ore, concerns_malnummer, amount_ore, change_kind, deferral_until, felkoder_json) ",
                );
                qb.push_values(chunk, |mut b, (c, st, felkoder)| {
                    b.push_bind(file_id)
                        .push_bind(&intressentkod)
                        .push_bind(kind.as_str())
                        .push_bind(&c.reference)
                        .push_bind(&sender)
                        .push_bind(*st)
                        .push_bind(c.total)
                        .push_bind(c.total)
                        .push_bind(&c.malnummer)
                        .push_bind(c.amount.or(c.change.and_then(|ch| ch.1)))
                        .push_bind(c.change.map(|ch| crate::formats::names::change_kind(ch.0)))
                        .push_bind(c.change.and_then(|ch| ch.2).map(|d| d.to_string()))
                        .push_bind(felkoder);
                });
                qb.build().execute(&mut *tx).await.map_err(db_rejection)?;
            }
            if life::followed(check.edition.as_deref()) {
                self.follow(&mut tx, ctx, kind, file_id, &check.cases)
                    .await
                    .map_err(db_rejection)?;
            }
        } else {
            n_rejected = u32::try_from(check.cases.len()).unwrap_or(u32::MAX);
        }
        let mut errors = check.file_errors.clone();
        errors.extend(case_errors);
        sqlx::query("UPDATE kf_files SET errors_json = ? WHERE id = ?")
            .bind(serde_json::to_string(&errors).unwrap_or_default())
            .bind(file_id)
            .execute(&mut *tx)
            .await
            .map_err(db_rejection)?;

        let kv = Kvittens {
            intressentkod: intressentkod.clone(),
            avser_filtyp: layout.filtyp.clone(),
            avser_lopnummer: check.lopnummer.unwrap_or(0),
            status: kvittens_status,
            datum: ctx.now_local.date(),
            tid: NaiveTime::from_hms_opt(
                ctx.now_local.hour(),
                ctx.now_local.minute(),
                ctx.now_local.second(),
            )
            .unwrap_or(NaiveTime::MIN),
            errors,
            antal_godkanda: n_ok,
            antal_underkanda: n_rejected,
        };
        let bytes = kv.build(set).map_err(|e| db_rejection(build_err(e)))?;
        tx.commit().await.map_err(db_rejection)?;
        tracing::info!(file = %file_name, intressentkod = %intressentkod, lopnummer = check.lopnummer,
            status = %kvittens_status, accepted = n_ok, rejected = n_rejected,
            "sim kvittens");
        let product = product_for(&ctx.config, "kvittens").map_err(db_rejection)?;
        let mut r = OutboundReply::event(
            &sender,
            &product,
            DataPart::new("kvittens", Some(&kvittens_name), TEXT_LATIN1, bytes),
        );
        r.corr_id = Some(msg.label.corr_id.clone());
        r.subject = Some(format!("Kvittens {file_name}"));
        Ok(vec![r])
    }
}

impl Behaviour for KronofogdenBehaviour {
    fn init<'a>(&'a self, pool: &'a SqlitePool) -> BoxFuture<'a, Result<(), BehaviourError>> {
        Box::pin(async move {
            for s in SCHEMA.iter().chain(life::SCHEMA) {
                sqlx::query(s).execute(pool).await?;
            }
            // A sim database made before files recorded their edition gets the column (NULL: FOGD-REF-1).
            let has_edition: Option<(String,)> = sqlx::query_as(
                "SELECT name FROM pragma_table_info('kf_files') WHERE name = 'edition'",
            )
            .fetch_optional(pool)
            .await?;
            if has_edition.is_none() {
                sqlx::query("ALTER TABLE kf_files ADD COLUMN edition TEXT")
                    .execute(pool)
                    .await?;
            }
            Ok(())
        })
    }

    fn on_message<'a>(
        &'a self,
        ctx: &'a SimContext,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, Rejection>> {
        Box::pin(async move {
            let ctx = self.on_calendar(ctx).await.map_err(db_rejection)?;
            self.receive(&ctx, msg).await
        })
    }

    fn evening_run<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, BehaviourError>> {
        Box::pin(async move {
            let _guard = self.lock.lock().await;
            let ctx = self.on_calendar(ctx).await?;
            self.run_evening(&ctx).await
        })
    }

    fn due<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, BehaviourError>> {
        Box::pin(async move {
            let _guard = self.lock.lock().await;
            let ctx = self.on_calendar(ctx).await?;
            self.day_tick(&ctx).await
        })
    }

    fn advance<'a>(
        &'a self,
        ctx: &'a SimContext,
        days: u32,
    ) -> BoxFuture<'a, Result<(Vec<OutboundReply>, serde_json::Value), BehaviourError>> {
        Box::pin(async move {
            let _guard = self.lock.lock().await;
            self.advance_days(ctx, days).await
        })
    }

    fn admin_files<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<serde_json::Value, BehaviourError>> {
        Box::pin(self.files_view(ctx))
    }

    fn admin_cases<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<serde_json::Value, BehaviourError>> {
        Box::pin(self.cases_view(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disputed_share_is_deterministic_and_roughly_the_share() {
        let refs: Vec<String> = (0..2000).map(|i| format!("REF-{i}")).collect();
        let n = refs.iter().filter(|r| is_disputed("DEV", r, 0.25)).count();
        assert!((400..600).contains(&n), "{n}");
        assert!(refs.iter().all(|r| !is_disputed("DEV", r, 0.0)));
        assert!(refs.iter().all(|r| is_disputed("DEV", r, 1.0)));
        assert_eq!(is_disputed("DEV", "X", 0.5), is_disputed("DEV", "X", 0.5));
    }

    #[test]
    fn malnummer_prefixes() {
        assert_eq!(malnummer_prefix(CaseKind::Verkstallighet), "VS");
        assert_eq!(malnummer_prefix(CaseKind::Betalningsforelaggande), "BF");
    }
}
