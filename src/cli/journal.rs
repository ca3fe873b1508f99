//! `fogd journal list | approve (--all | REF…) | hold REF --reason TEXT`: the review step. `approve` and `hold`
//! print what changed; exit 3 when a reference could not be acted on.

use crate::cli::import::{open_store, OutputFormat};
use crate::cli::{UsageError, EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use crate::domain::CaseState;
use crate::engine::journal::{self, Changed, JournalReport, Selection};
use std::io::Write;

/// Subcommands of `fogd journal`.
#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Cases waiting for review (journal and held).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Approve cases for sending: every case in the journal (`--all`; held cases need their reference) or the
    /// given references.
    Approve {
        /// Approve every case in the journal.
        #[arg(long, conflicts_with = "references")]
        all: bool,
        /// References to approve.
        #[arg(value_name = "REF")]
        references: Vec<String>,
    },
    /// Hold a case for review.
    Hold {
        /// The reference.
        #[arg(value_name = "REF")]
        reference: String,
        /// Why (kept with the case).
        #[arg(long)]
        reason: String,
    },
}

/// Runs the command.
pub async fn run(config: Config, cmd: JournalCommand) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    match cmd {
        JournalCommand::List { format } => {
            let store = open_store(&config).await?;
            let rows = journal::list(&store).await?;
            store.close().await;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let reviews = rows.iter().map(Review::of).collect::<Vec<_>>();
            match format {
                OutputFormat::Json => {
                    let cases: Vec<serde_json::Value> = rows
                        .iter()
                        .zip(&reviews)
                        .map(|(r, v)| {
                            serde_json::json!({
                                "reference": r.reference, "kind": r.kind, "intressentkod": r.intressentkod,
                                "state": r.state, "hold_reason": r.hold_reason, "updated_at": r.updated_at,
                                "creditor": v.creditor, "debtor": v.debtor,
                                "claims_total": v.claimed.map(|a| a.to_string()),
                                "warnings": v.warnings,
                            })
                        })
                        .collect();
                    serde_json::to_writer(&mut out, &serde_json::json!({ "cases": cases }))?;
                    writeln!(out)?;
                }
                OutputFormat::Text => {
                    writeln!(
                        out,
                        "{:<20} {:<22} {:<8} {:<24} {:<26} {:>12}  WARNINGS / REASON",
                        "REFERENCE", "KIND", "STATE", "CREDITOR", "DEBTOR", "CLAIMED"
                    )?;
                    for (r, v) in rows.iter().zip(&reviews) {
                        let mut notes = v.warnings.clone();
                        if let Some(h) = &r.hold_reason {
                            notes.push(format!("held: {h}"));
                        }
                        writeln!(
                            out,
                            "{:<20} {:<22} {:<8} {:<24} {:<26} {:>12}  {}",
                            r.reference,
                            r.kind,
                            r.state.as_str(),
                            clip(v.creditor.as_deref().unwrap_or("-"), 24),
                            clip(v.debtor.as_deref().unwrap_or("-"), 26),
                            v.claimed
                                .map(|a| a.to_string())
                                .unwrap_or_else(|| "-".into()),
                            notes.join("; ")
                        )?;
                    }
                    writeln!(
                        out,
                        "{} case(s) waiting for review (debtors masked; `fogd status --case REF` shows one case)",
                        rows.len()
                    )?;
                }
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
        JournalCommand::Approve { all, references } => {
            let verb = CaseState::Approved.as_str();
            if all {
                // Every journal case, its line written as its page commits: the output streams and memory stays
                // flat however many cases wait (1,000,000 lines are fine to pipe; nothing is collected first).
                let store = open_store(&config).await?;
                let mut out = std::io::BufWriter::new(std::io::stdout());
                let n = journal::approve_all(&store, "operator", clock.as_ref(), |page| {
                    for c in &page {
                        write_changed(&mut out, verb, c)?;
                    }
                    Ok::<_, anyhow::Error>(())
                })
                .await;
                store.close().await;
                let n = n?;
                writeln!(out, "{n} case(s) {verb}, 0 skipped")?;
                out.flush()?;
                return Ok(EXIT_OK);
            }
            if references.is_empty() {
                return Err(UsageError("give --all or one or more references".into()).into());
            }
            let store = open_store(&config).await?;
            let report = journal::approve(
                &store,
                &Selection::References(references),
                "operator",
                clock.as_ref(),
            )
            .await?;
            store.close().await;
            print_report(&report, verb)
        }
        JournalCommand::Hold { reference, reason } => {
            if reason.trim().is_empty() {
                return Err(UsageError("--reason must not be empty".into()).into());
            }
            let store = open_store(&config).await?;
            let report = journal::hold(
                &store,
                &reference,
                reason.trim(),
                "operator",
                clock.as_ref(),
            )
            .await?;
            store.close().await;
            print_report(&report, CaseState::Held.as_str())
        }
    }
}

/// What a reviewer needs to see of a case before approving it: who claims, from whom (masked: personal data), how
/// much, and the warnings that held it.
struct Review {
    creditor: Option<String>,
    debtor: Option<String>,
    claimed: Option<crate::domain::Amount>,
    warnings: Vec<String>,
}

impl Review {
    fn of(row: &crate::store::CaseRow) -> Review {
        let case = row.case().ok().flatten();
        let creditor = case
            .as_ref()
            .and_then(|c| c.creditor.as_ref())
            .map(|p| p.name.clone());
        let debtor = case.as_ref().and_then(|c| {
            let first = c.debtors.first()?;
            let id = first
                .id
                .as_ref()
                .map(|i| crate::mask::mask_id(&i.digits))
                .unwrap_or_else(|| "(no number)".into());
            let more = match c.debtors.len() {
                0 | 1 => String::new(),
                n => format!(" +{}", n - 1),
            };
            Some(format!(
                "{id} {}{more}",
                crate::mask::mask_name(&first.name)
            ))
        });
        let claimed = case.as_ref().and_then(crate::report::claimed_total);
        let warnings = row
            .issues()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.severity == crate::domain::validate::Severity::Warning)
            .map(|i| format!("[{}] {}", i.rule, i.message))
            .collect();
        Review {
            creditor,
            debtor,
            claimed,
            warnings,
        }
    }
}

/// `text` cut to `width` characters (with `…`), for a table column.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// One changed case's line: `approved R-1 (betalningsforelaggande): journal -> approved`.
fn write_changed(out: &mut impl Write, verb: &str, c: &Changed) -> std::io::Result<()> {
    writeln!(
        out,
        "{verb} {} ({}): {} -> {}",
        c.reference, c.kind, c.from, c.to
    )
}

fn print_report(report: &JournalReport, verb: &str) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for c in &report.changed {
        write_changed(&mut out, verb, c)?;
    }
    for s in &report.skipped {
        writeln!(out, "skipped {}: {}", s.reference, s.reason)?;
    }
    writeln!(
        out,
        "{} case(s) {verb}, {} skipped",
        report.changed.len(),
        report.skipped.len()
    )?;
    Ok(if report.skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}
