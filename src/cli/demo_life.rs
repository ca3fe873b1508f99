//! `fogd demo`, second act: the cases' life after the utslag (fogd-ref-2.md §5–§6, issue 16 point 5). The
//! simulator's calendar is moved forward (`POST /sim/v1/advance`) a day at a time while fogd polls what
//! follows: the disputed D-BFO-1 is handed over to the tingsrätt on a begäran sent within its `sista_dag`, the
//! disputed D-BFO-5 is written off after it, D-BFO-3's utslag is enforced (asked for in the application) through a
//! LUB and a DELRED a month to a slutredovisning, and the fordringsanmälan D-SKS-1 is decided (SKSRAPP). Per case
//! it prints a timeline: the simulator's date by which fogd had it, the event, and the message it came from.

use crate::config::Config;
use crate::domain::case::BegaranRequest;
use crate::domain::{Amount, CaseState};
use crate::engine::Engine;
use crate::store::Store;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The cases whose life the demo follows, and the state each must end in.
pub const LIFE_EXPECTED: &[(&str, &str, CaseState)] = &[
    (
        "D-BFO-1",
        "betalningsforelaggande",
        CaseState::HandedToCourt,
    ),
    ("D-BFO-5", "betalningsforelaggande", CaseState::WrittenOff),
    ("D-BFO-3", "betalningsforelaggande", CaseState::Closed),
    ("D-SKS-1", "fordringsanmalan", CaseState::Decided),
];

/// The disputed case the operator asks to hand over.
const COURT_CASE: &str = "D-BFO-1";
/// The begäran's reference.
const BEGARAN_REF: &str = "D-BEG-1";
/// Days the calendar moves per step: one, so that the timeline's dates are the days fogd had each message.
const STEP_DAYS: u32 = 1;
/// At most this many steps (about two years).
const MAX_STEPS: u32 = 770;

/// One line of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineLine {
    /// The simulator's date by which fogd had applied it.
    pub date: NaiveDate,
    /// What happened (state, or a payment).
    pub event: String,
    /// The message it came from (document and file name), or who did it.
    pub source: String,
}

/// A client for the simulator's admin API over the demo's mutual TLS.
fn admin_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    let ca = std::fs::read(&config.tls.ca)?;
    let id = std::fs::read(&config.tls.identity)?;
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
        .identity(reqwest::Identity::from_pem(&id)?)
        .build()?)
}

/// `POST /sim/v1/advance {"days": days}`; the simulator's date after it.
async fn advance(http: &reqwest::Client, config: &Config, days: u32) -> anyhow::Result<NaiveDate> {
    let base = config.shs.url.trim_end_matches("/shs");
    let resp = http
        .post(format!("{base}/sim/v1/advance"))
        .json(&serde_json::json!({ "days": days }))
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "advance: HTTP {}",
        resp.status()
    );
    let v: serde_json::Value = resp.json().await?;
    let today = v["today"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("advance: no date in {v}"))?;
    Ok(today)
}

/// Build, send and poll until a poll brings nothing and nothing waits for a kvittens (at most 40 rounds).
async fn settle(engine: &Engine) -> anyhow::Result<()> {
    for _ in 0..40 {
        engine.build_pass().await?;
        let s = engine.send_pass().await?;
        if s.sent > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let p = engine.poll_pass().await?;
        let in_flight = engine
            .store
            .list_files()
            .await?
            .iter()
            .any(|f| crate::domain::FileState::AWAITING_KVITTENS.contains(&f.state));
        if p.stored == 0 && s.sent == 0 && !in_flight {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Ok(())
}

async fn case_id(store: &Store, reference: &str, kind: &str) -> anyhow::Result<Option<i64>> {
    Ok(store
        .cases_by_reference(reference, None)
        .await?
        .into_iter()
        .find(|c| c.kind == kind)
        .map(|c| c.id))
}

async fn all_reached(store: &Store) -> anyhow::Result<bool> {
    for (r, k, want) in LIFE_EXPECTED {
        let got = store
            .cases_by_reference(r, None)
            .await?
            .into_iter()
            .find(|c| c.kind == *k)
            .map(|c| c.state);
        if got != Some(*want) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An event's reason `"{DOC} {file} (tx {id}): {what}"` as (what, "DOC file"); other reasons as they are.
fn split_reason(reason: &str, actor: &str) -> (String, String) {
    match reason.split_once("): ") {
        Some((head, what)) => {
            let source = head.split(" (tx ").next().unwrap_or(head);
            (what.to_string(), source.to_string())
        }
        None => (reason.to_string(), actor.to_string()),
    }
}

/// What is new for the followed cases since the last call: ledger rows (payments, fees, what remains; dated by
/// their own date) and state changes (from `case_events`, dated `today` on the simulator's calendar).
struct Recorder {
    seen_events: BTreeMap<i64, i64>,
    /// Ledger rows already shown, by (case, kind, date, source): rows come sorted by date, not arrival.
    seen_ledger: std::collections::BTreeSet<(i64, String, String, String)>,
    lines: BTreeMap<&'static str, Vec<TimelineLine>>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            seen_events: BTreeMap::new(),
            seen_ledger: std::collections::BTreeSet::new(),
            lines: BTreeMap::new(),
        }
    }

    async fn record(&mut self, store: &Store, today: NaiveDate) -> anyhow::Result<()> {
        for (r, k, _) in LIFE_EXPECTED {
            let Some(id) = case_id(store, r, k).await? else {
                continue;
            };
            let out = self.lines.entry(r).or_default();
            let rows = store.ledger_entries(id).await?;
            // One line per message: its rows (payment, fees, what remains) joined.
            let mut grouped: Vec<(NaiveDate, Vec<String>, String)> = Vec::new();
            for l in &rows {
                let key = (id, l.kind.clone(), l.at.clone(), l.source.clone());
                if !self.seen_ledger.insert(key) {
                    continue;
                }
                let amount = Amount(l.amount_ore);
                let part = match l.kind.as_str() {
                    "paid_out" => format!("paid out {amount} kr"),
                    "fee" | "fees_deducted" if l.amount_ore == 0 => continue,
                    "fee" | "fees_deducted" => format!("fees {amount} kr"),
                    "remaining" => format!("remaining {amount} kr"),
                    other => format!("{other} {amount} kr"),
                };
                match grouped.last_mut() {
                    Some(g) if g.2 == l.source => g.1.push(part),
                    _ => {
                        grouped.push((l.at.parse().unwrap_or(today), vec![part], l.source.clone()))
                    }
                }
            }
            for (date, parts, source) in grouped {
                out.push(TimelineLine {
                    date,
                    event: parts.join(", "),
                    source,
                });
            }
            let last = self.seen_events.entry(id).or_insert(0);
            for e in store.case_events(id).await? {
                if e.id <= *last {
                    continue;
                }
                *last = e.id;
                // Only what Kronofogden's messages did (the reason names the message and its tx.id).
                if !e.reason.as_deref().is_some_and(|r| r.contains(" (tx ")) {
                    continue;
                }
                let (what, source) = split_reason(e.reason.as_deref().unwrap_or(""), &e.actor);
                out.push(TimelineLine {
                    date: today,
                    event: format!("{} — {what}", e.to_state),
                    source,
                });
            }
        }
        Ok(())
    }
}

/// Plays the followed cases' life on the simulator's calendar and returns each case's timeline (in
/// [`LIFE_EXPECTED`]'s order) and whether every one ended as expected. `say` prints the story as it goes.
pub async fn play(
    config: &Config,
    engine: &Engine,
    deadline: Instant,
    say: &dyn Fn(String) -> std::io::Result<()>,
) -> anyhow::Result<(Vec<(String, Vec<TimelineLine>)>, bool)> {
    let store = &engine.store;
    let http = admin_client(config)?;
    let clock = engine.clock.clone();
    let mut rec = Recorder::new();
    let mut today = clock.now().date_naive();
    settle(engine).await?;
    rec.record(store, today).await?;

    // The operator asks for the disputed case to be handed over, within its sista_dag.
    if let Some(id) = case_id(store, COURT_CASE, "betalningsforelaggande").await? {
        let sista = store.deadline_of(id, "overlamnande").await?;
        let ctx = crate::cli::import::validation_context(config, clock.as_ref())?;
        let out = crate::engine::request::request_begaran(
            store,
            &ctx,
            clock.as_ref(),
            COURT_CASE,
            BegaranRequest::Court,
            today,
            BEGARAN_REF,
            "demo",
        )
        .await?;
        say(format!(
            "fogd request court --case {COURT_CASE}: begäran {} {} (sista_dag {})",
            out.reference,
            out.state,
            sista.map_or("unknown".to_string(), |d| d.to_string())
        ))?;
        for p in &out.problems {
            say(format!("  [{}] {}", p.rule, p.message))?;
        }
        settle(engine).await?;
        // What became of the begäran: accepted by its kvittens, or not (then the timeline says so).
        let state = store
            .cases_by_reference(BEGARAN_REF, None)
            .await?
            .into_iter()
            .find(|c| c.kind == crate::domain::CaseKind::Begaran.as_str())
            .map_or(out.state, |c| c.state);
        let event = if state == CaseState::Accepted {
            "begäran O (hand over to tingsrätt) sent, accepted".to_string()
        } else {
            format!("begäran O (hand over to tingsrätt) is {state}")
        };
        rec.lines.entry(COURT_CASE).or_default().push(TimelineLine {
            date: today,
            event,
            source: "fogd request court".into(),
        });
    }
    let mut steps = 0;
    while !all_reached(store).await? && steps < MAX_STEPS && Instant::now() < deadline {
        today = advance(&http, config, STEP_DAYS).await?;
        steps += 1;
        settle(engine).await?;
        rec.record(store, today).await?;
    }
    say(format!(
        "simulator calendar advanced {} day(s), to {today}",
        steps * STEP_DAYS
    ))?;
    let mut out = Vec::new();
    for (r, _, _) in LIFE_EXPECTED {
        let mut lines = rec.lines.remove(r).unwrap_or_default();
        lines.sort_by_key(|l| l.date);
        out.push((r.to_string(), lines));
    }
    Ok((out, all_reached(store).await?))
}

/// Writes the timelines for a terminal.
pub fn write_timelines(
    w: &mut dyn std::io::Write,
    timelines: &[(String, Vec<TimelineLine>)],
) -> std::io::Result<()> {
    writeln!(
        w,
        "Timelines (dates on the simulator's calendar: the day fogd had the message; a payment on its own date)"
    )?;
    for (reference, lines) in timelines {
        writeln!(w, "{reference}")?;
        for l in lines {
            writeln!(w, "  {}  {:<56}  <- {}", l.date, l.event, l.source)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_splits_into_what_and_its_message() {
        assert_eq!(
            split_reason(
                "RAPPORT SUPRO.DEV.RAPPORT (tx 1234-abcd): domstol BF-000002-26",
                "poll"
            ),
            (
                "domstol BF-000002-26".to_string(),
                "RAPPORT SUPRO.DEV.RAPPORT".to_string()
            )
        );
        assert_eq!(
            split_reason("approved", "demo"),
            ("approved".to_string(), "demo".to_string())
        );
    }
}
