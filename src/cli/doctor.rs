//! `fogd doctor`: checks configuration, database and migrations, certificates (expiry; key files not readable by
//! group or others) and that the SHS node answers a message-list request over mutual TLS. The set-up traps a
//! newcomer falls into are checked too ([`setup`]): the org number's check digit and the intressentkod
//! (configuration), that the client certificate's subject `serialNumber` is `[ingivare] org_number` and that the
//! identity's key belongs to its certificate (certificates), and a TLS handshake with the node under `[tls] ca`
//! (a node certificate that CA does not verify is a certificate problem; no answer at all is an SHS problem).
//! Every failure says what to do.
//!
//! Exit codes, one per outcome (the first failing area decides): 0 all good; 3 only warnings (a certificate near
//! expiry, migrations that `fogd serve` will apply); 10 configuration; 11 database; 12 certificates; 13 SHS node.
//! A configuration that does not load at all exits 2 before the doctor runs.

use crate::cli::{EXIT_OK, EXIT_PROBLEMS};
use crate::config::Config;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

mod setup;

/// Exit code: configuration invalid.
pub const EXIT_CONFIG: u8 = 10;
/// Exit code: database missing, unreachable or with unknown migrations.
pub const EXIT_DATABASE: u8 = 11;
/// Exit code: a certificate is missing, expired or its key is exposed.
pub const EXIT_CERTS: u8 = 12;
/// Exit code: the SHS node does not answer.
pub const EXIT_SHS: u8 = 13;

/// Arguments of `fogd doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Skip the SHS node check (offline).
    #[arg(long)]
    pub skip_shs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Ok,
    Warn,
    Fail,
}

pub(crate) struct Check {
    area: u8,
    name: String,
    outcome: Outcome,
    detail: String,
}

pub(crate) fn push(
    out: &mut Vec<Check>,
    area: u8,
    name: &str,
    outcome: Outcome,
    detail: impl Into<String>,
) {
    out.push(Check {
        area,
        name: name.to_string(),
        outcome,
        detail: detail.into(),
    });
}

/// Runs the command.
pub async fn run(config: Config, args: DoctorArgs) -> anyhow::Result<u8> {
    let clock = crate::clock::system();
    let mut checks = Vec::new();
    match config.validate() {
        Ok(()) => push(&mut checks, EXIT_CONFIG, "config", Outcome::Ok, "valid"),
        Err(e) => push(
            &mut checks,
            EXIT_CONFIG,
            "config",
            Outcome::Fail,
            e.to_string(),
        ),
    }
    setup::check_ingivare(&config, &mut checks);
    check_database(&config, &mut checks).await;
    check_certificates(&config, clock.now().timestamp(), &mut checks);
    setup::check_identity(&config, &mut checks);
    if !args.skip_shs {
        setup::check_node_certificate(&config, &mut checks).await;
        check_shs(&config, &mut checks).await;
    }
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    for c in &checks {
        let tag = match c.outcome {
            Outcome::Ok => "ok  ",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        };
        writeln!(w, "{tag}  {:<22} {}", c.name, c.detail)?;
    }
    let code = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.area)
        .min()
        .unwrap_or(if checks.iter().any(|c| c.outcome == Outcome::Warn) {
            EXIT_PROBLEMS
        } else {
            EXIT_OK
        });
    Ok(code)
}

async fn check_database(config: &Config, out: &mut Vec<Check>) {
    let (known, applied) = match crate::store::migration_status(&config.database.url).await {
        Ok(m) => (m.known, Ok(m.applied)),
        Err(e) => (Vec::new(), Err(e.to_string())),
    };
    match applied {
        Err(e) => push(out, EXIT_DATABASE, "database", Outcome::Fail, e),
        Ok(applied) => {
            push(out, EXIT_DATABASE, "database", Outcome::Ok, "reachable");
            let unknown: Vec<i64> = applied
                .iter()
                .filter(|v| !known.contains(v))
                .copied()
                .collect();
            let pending: Vec<i64> = known
                .iter()
                .filter(|v| !applied.contains(v))
                .copied()
                .collect();
            if !unknown.is_empty() {
                push(out, EXIT_DATABASE, "migrations", Outcome::Fail,
                    format!("the database has migrations this fogd does not know: {unknown:?} (a newer fogd?)"));
            } else if !pending.is_empty() {
                push(
                    out,
                    EXIT_DATABASE,
                    "migrations",
                    Outcome::Warn,
                    format!(
                        "{} pending ({pending:?}); fogd serve applies them at start",
                        pending.len()
                    ),
                );
            } else {
                push(
                    out,
                    EXIT_DATABASE,
                    "migrations",
                    Outcome::Ok,
                    format!("{} applied", applied.len()),
                );
            }
        }
    }
}

fn check_certificates(config: &Config, now: i64, out: &mut Vec<Check>) {
    let warn_days = config
        .alerts
        .cert_warn_days
        .iter()
        .copied()
        .max()
        .unwrap_or(60);
    for (name, path) in [
        ("certificate ca", &config.tls.ca),
        ("certificate identity", &config.tls.identity),
    ] {
        let is_p12 = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("p12") || e.eq_ignore_ascii_case("pfx"));
        if is_p12 {
            if path.exists() {
                push(
                    out,
                    EXIT_CERTS,
                    name,
                    Outcome::Ok,
                    format!("{} (PKCS#12; expiry not read)", path.display()),
                );
            } else {
                push(
                    out,
                    EXIT_CERTS,
                    name,
                    Outcome::Fail,
                    format!("{} is missing", path.display()),
                );
            }
        } else {
            match crate::certs::not_after_unix(path) {
                Ok(t) => {
                    let days = (t - now).div_euclid(86_400);
                    let when = chrono::DateTime::from_timestamp(t, 0)
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default();
                    if t <= now {
                        push(
                            out,
                            EXIT_CERTS,
                            name,
                            Outcome::Fail,
                            format!("{} expired on {when}", path.display()),
                        );
                    } else if days <= i64::from(warn_days) {
                        push(
                            out,
                            EXIT_CERTS,
                            name,
                            Outcome::Warn,
                            format!("{} expires in {days} days ({when})", path.display()),
                        );
                    } else {
                        push(
                            out,
                            EXIT_CERTS,
                            name,
                            Outcome::Ok,
                            format!("{} valid until {when}", path.display()),
                        );
                    }
                }
                Err(e) => push(out, EXIT_CERTS, name, Outcome::Fail, e.to_string()),
            }
        }
    }
    // Files holding private keys must not be readable by group or others.
    for (name, path) in [
        ("key identity", &config.tls.identity),
        ("key sim server", &config.tls.server_key),
    ] {
        if name == "key sim server" && !path.exists() {
            continue; // only the simulator needs it
        }
        match key_mode_problem(path) {
            Ok(None) => push(
                out,
                EXIT_CERTS,
                name,
                Outcome::Ok,
                format!("{} private to its owner", path.display()),
            ),
            Ok(Some(p)) => push(out, EXIT_CERTS, name, Outcome::Fail, p),
            Err(e) => push(
                out,
                EXIT_CERTS,
                name,
                Outcome::Fail,
                format!("{}: {e}", path.display()),
            ),
        }
    }
}

/// A problem with the permissions of a key file, if any (mode bits for group or others).
fn key_mode_problem(path: &Path) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    Ok((mode & 0o077 != 0).then(|| {
        format!(
            "{} has mode {mode:o}: readable by group or others; chmod 600 it",
            path.display()
        )
    }))
}

async fn check_shs(config: &Config, out: &mut Vec<Check>) {
    use crate::shs::client::{ClientSettings, ListFilter, ShsClient};
    let mut settings = ClientSettings::from_config(config);
    settings.connect_timeout = settings.connect_timeout.min(Duration::from_secs(10));
    settings.request_timeout = settings.request_timeout.min(Duration::from_secs(20));
    let client = match ShsClient::new(settings) {
        Ok(c) => c,
        Err(e) => {
            push(
                out,
                EXIT_SHS,
                "shs node",
                Outcome::Fail,
                format!("cannot set up the client: {e}"),
            );
            return;
        }
    };
    let filter = ListFilter {
        maxhits: Some(1),
        ..ListFilter::default()
    };
    match client.list(&config.ingivare.org_number, &filter).await {
        Ok(_) => push(
            out,
            EXIT_SHS,
            "shs node",
            Outcome::Ok,
            format!("{} answers", config.shs.ds()),
        ),
        Err(e) => push(
            out,
            EXIT_SHS,
            "shs node",
            Outcome::Fail,
            format!("{}: {e}", config.shs.ds()),
        ),
    }
}
