//! Layered configuration: built-in defaults → TOML file → environment `FOGD_<SECTION>_<KEY>` → command-line flags.
//!
//! Every section denies unknown keys, so a typo is an error with the key's name rather than a silently ignored
//! setting. Values are read into their types when the configuration is loaded (cron schedules as [`CronExpr`],
//! time zones as [`chrono_tz::Tz`], amounts as [`Kronor`], the SMTP security as [`crate::email::Security`], the traffic status as
//! [`TrafficStatus`]), so a bad value is one error at start naming its key, and nothing parses them again where
//! they are used. [`Config::validate`] checks values that parse but make no sense together or out of range.
//!
//! An environment override is read as the type of its key: `FOGD_INGIVARE_ORG_NUMBER=5599999991` stays a string,
//! `FOGD_BATCH_MAX_CASES_PER_FILE=50` is a number.
//! `config/fogd.example.toml` documents every key; a test loads it.

use crate::domain::Amount;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod values;
use values::tz_name;
pub use values::{cron_schedule, CronExpr, Kronor};

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown/mistyped keys.
    #[error("config file {path}: {message}")]
    Parse {
        /// The path (or `<env>`).
        path: String,
        /// What is wrong, with the key.
        message: String,
    },
    /// An environment override names an unknown key or has a bad value.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("config key {key}: {message}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where state lives.
    pub database: DatabaseConfig,
    /// Who we are at Kronofogden.
    pub ingivare: IngivareConfig,
    /// The SHS node we talk to.
    pub shs: ShsConfig,
    /// Certificates.
    pub tls: TlsConfig,
    /// The HTTP API and ops page.
    pub api: ApiConfig,
    /// Cron schedules for `fogd serve`.
    pub schedule: ScheduleConfig,
    /// Record layouts.
    pub layouts: LayoutsConfig,
    /// Interest (the referensränta table).
    pub interest: InterestConfig,
    /// Batching limits.
    pub batch: BatchConfig,
    /// Intake rules (cost caps, limitation).
    pub rules: RulesConfig,
    /// The simulator (`fogd sim`, `fogd demo`).
    pub sim: SimConfig,
    pub alerts: AlertsConfig,
    /// The SMTP relay for e-mailed alerts and reports.
    pub email: EmailConfig,
    /// Logging.
    pub log: LogConfig,
    /// Bounds on connections, requests and inputs ([`crate::limits`]).
    pub limits: crate::limits::LimitsConfig,
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://fogd-data/fogd.db` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Days to keep the bytes of settled files (receipted) and received messages (applied) for audit; after that a
    /// poll pass clears the bytes but keeps the rows and their SHA-256. 0 keeps the bytes forever.
    pub retention_days: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://fogd-data/fogd.db".into(),
            max_connections: 8,
            retention_days: 0,
        }
    }
}

/// `[ingivare]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IngivareConfig {
    /// Organisation number (10 digits); also the SHS `from` and our outbox.
    pub org_number: String,
    /// Intressentkod at Kronofogden.
    pub intressentkod: String,
    pub name: String,
    /// Contact person written in the missiv.
    pub contact_name: String,
    /// Contact phone written in the missiv.
    pub contact_phone: String,
}

impl Default for IngivareConfig {
    fn default() -> Self {
        Self {
            org_number: "5599999991".into(),
            intressentkod: "DEV".into(),
            name: "Utvecklings Inkasso AB".into(),
            contact_name: "Driftansvarig".into(),
            contact_phone: "08-000000".into(),
        }
    }
}

/// `[shs]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ShsConfig {
    /// Base URL; send = `{url}/rs`, list/fetch/ack = `{url}/ds/…`.
    pub url: String,
    /// Override of the send URL (default `{url}/rs`).
    pub rs_url: Option<String>,
    /// Override of the delivery-service base URL (default `{url}/ds`).
    pub ds_url: Option<String>,
    /// Kronofogden's node organisation number (`to`).
    pub node_org_number: String,
    /// `test` or `production`: the SHS label status and the files' 00.status.
    pub status: TrafficStatus,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Whole-request timeout, seconds.
    pub request_timeout_secs: u64,
    /// SHS product ids per file kind and inbound kind (kronofogden.md §2.7).
    pub products: BTreeMap<String, String>,
    /// HTTP `Content-Type` of a send: `message/rfc822` (node-to-node form) or `multipart/mixed` (Axel's client);
    /// nodes parse the MIME headers inside the body and ignore this (shs.md §4.1).
    pub send_content_type: String,
}

impl Default for ShsConfig {
    fn default() -> Self {
        let products = [
            ("bfo-ansokan", "4d3faf08-f636-5b40-ba0d-742e5f17d771"),
            ("bfo-nedsattning", "9e67e6eb-3421-5177-a5f6-0754dfe72efe"),
            ("bfo-aterkallelse", "020c6f94-bb49-53ed-85dd-836f7db86dbf"),
            ("vst-ansokan", "407756eb-f7c0-5d2b-8f8d-92f975947af8"),
            ("vst-andring", "db99fa13-7fc5-5fc2-9d27-319c152d2101"),
            (
                "sks-fordringsanmalan",
                "669fc3d5-8e37-511d-81b1-dfd286d5db81",
            ),
            ("kvittens", "b12dedf1-ec5b-55d4-8fe6-9d37c73368b1"),
            ("bekraftelse", "2c92e378-4f27-5ea9-951b-6efc4980d971"),
            ("utslag", "9bc8220d-44bd-56b2-b6e8-4ad337371b24"),
            // FOGD-REF-2 (fogd-ref-2.md §2.5, §3): the begäran and what Kronofogden sends after registration.
            ("bfo-begaran", "6df712fb-2900-53eb-918f-2a5351a54cd4"),
            ("bestridande", "c1850e32-4f04-5c80-a2ca-c4d95a9b25e8"),
            ("sks-rapport", "331cfc50-d71d-5469-ae57-5b5f8597634f"),
            ("lub", "f9acf80b-c389-59bf-b533-5f5d9d21d84a"),
            ("delred", "59b537b6-79ef-5aa2-bb15-b470b35d48fd"),
            ("nyttavgar", "13d953a1-336c-5ddf-bcf7-ec236a2f8af0"),
            ("slutredovisning", "ab5e776c-2a62-5984-a9f2-5dd20b7a9ba8"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self {
            url: "https://127.0.0.1:7443/shs".into(),
            rs_url: None,
            ds_url: None,
            node_org_number: "2021000001".into(),
            status: TrafficStatus::Test,
            connect_timeout_secs: 10,
            request_timeout_secs: 120,
            products,
            send_content_type: "message/rfc822".into(),
        }
    }
}

/// Whether fogd's traffic is test or production (`[shs] status`), read once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficStatus {
    /// Test traffic and test files.
    Test,
    /// Production traffic and files.
    Production,
}

impl TrafficStatus {
    /// The SHS label status.
    pub fn label(self) -> crate::shs::Status {
        match self {
            TrafficStatus::Test => crate::shs::Status::Test,
            TrafficStatus::Production => crate::shs::Status::Production,
        }
    }

    /// The files' 00.status.
    pub fn file(self) -> crate::formats::FileStatus {
        match self {
            TrafficStatus::Test => crate::formats::FileStatus::Test,
            TrafficStatus::Production => crate::formats::FileStatus::Production,
        }
    }
}

impl ShsConfig {
    /// The send (receive-service) URL.
    pub fn rs(&self) -> String {
        self.rs_url
            .clone()
            .unwrap_or_else(|| format!("{}/rs", self.url.trim_end_matches('/')))
    }
    /// The delivery-service base URL.
    pub fn ds(&self) -> String {
        self.ds_url
            .clone()
            .unwrap_or_else(|| format!("{}/ds", self.url.trim_end_matches('/')))
    }
}

/// `[tls]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// CA certificate(s) (PEM) that signed the peer.
    pub ca: PathBuf,
    /// Our client identity: one PEM with certificate and key, or a PKCS#12 file (`.p12`/`.pfx`).
    pub identity: PathBuf,
    /// Password of a PKCS#12 identity.
    pub identity_password: Option<String>,
    /// The simulator's server certificate (PEM).
    pub server_cert: PathBuf,
    /// The simulator's server key (PEM).
    pub server_key: PathBuf,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            ca: "fogd-data/certs/ca.pem".into(),
            identity: "fogd-data/certs/client-identity.pem".into(),
            identity_password: None,
            server_cert: "fogd-data/certs/server.pem".into(),
            server_key: "fogd-data/certs/server-key.pem".into(),
        }
    }
}

/// `[api]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Listen address.
    pub listen: String,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Cache the answers of `GET /api/v1/cases/{reference}` and the ops page until the database changes (SQLite
    /// only; at most 50 ms behind a commit of any process, see `fogd::api::cache`).
    pub cache: bool,
    /// Serve HTTPS with this certificate chain (PEM) and `tls_key`; unset: plain HTTP (behind a TLS proxy).
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The address browsers use, e.g. `https://fogd.example.se` (behind a reverse proxy): state-changing
    /// requests must come from this origin, and an `https` URL makes the session cookie `Secure`. Unset: the
    /// request's own `Host` and scheme.
    pub public_url: Option<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (the client
    /// address for sign-in throttling and logs, and whether the browser used HTTPS).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 16 * 1024 * 1024,
            cache: true,
            tls_cert: None,
            tls_key: None,
            public_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[schedule]`: crontab expressions (5 fields, or 6 with seconds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// Build and send.
    pub send: CronExpr,
    /// Poll the inbox.
    pub poll: CronExpr,
    /// Time zone of the schedules (IANA name).
    #[serde(with = "tz_name")]
    pub timezone: chrono_tz::Tz,
    /// The nightly cut-off of the batch, if any (e.g. `"0 18 * * 1-5"`). Unset: every `send` run builds files
    /// from the approved cases and sends them. Set: files are built only at the cut-off (a `cutoff` job runs the
    /// build pass and then sends at once); the `send` job only sends (and re-sends) files already built.
    pub cutoff: Option<CronExpr>,
    /// Reports, if any.
    pub reports: Option<CronExpr>,
    /// Where scheduled reports are written.
    pub reports_dir: PathBuf,
    /// E-mail addresses that get the scheduled reports as attachments (needs `[email] host`).
    pub reports_email_to: Vec<String>,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            send: CronExpr::builtin("*/5 * * * *"),
            poll: CronExpr::builtin("* * * * *"),
            timezone: chrono_tz::Europe::Stockholm,
            cutoff: None,
            reports: None,
            reports_dir: "fogd-data/reports".into(),
            reports_email_to: Vec::new(),
        }
    }
}

/// `[layouts]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LayoutsConfig {
    /// A directory of layout TOML files overriding the chosen edition's embedded ones (by layout name).
    pub dir: Option<PathBuf>,
    /// The edition of the files fogd builds: `"FOGD-REF-1"` or `"FOGD-REF-2"` (fogd-ref-2.md §1). Unset, a
    /// database keeps the edition it was started with: a new database records FOGD-REF-2 at the daemon's first
    /// start, a database that held cases or files before editions were recorded (migration 0008) records FOGD-REF-1.
    /// Set, it applies to this run (the database's record stays as it was, so removing the line goes back to it).
    /// Commands without a database (`fogd build`, `fogd inspect`) use it, else FOGD-REF-2.
    pub edition: Option<String>,
}

impl LayoutsConfig {
    /// The edition named here, else the default for a new installation (for commands without a database).
    pub fn edition_or_default(&self) -> &str {
        self.edition
            .as_deref()
            .unwrap_or(crate::formats::edition::DEFAULT_EDITION)
    }
}

/// `[interest]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct InterestConfig {
    /// A referensränta table (TOML) replacing the shipped `rates/referensranta.toml`; read and checked by
    /// [`crate::interest_table::load`].
    pub referensranta: Option<PathBuf>,
}

/// `[batch]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BatchConfig {
    /// Most cases in one file.
    pub max_cases_per_file: u32,
    /// Most unreceipted files per löpnummer series (kronofogden.md §2.3 default 1).
    pub max_unreceipted_per_series: u32,
    /// First löpnummer of a new series.
    pub first_lopnummer: u32,
    /// Minutes after sending before a missing kvittens is overdue.
    pub kvittens_overdue_minutes: u32,
    /// First wait, seconds, before re-sending a file after a send error a retry can help (doubles per attempt).
    pub send_retry_base_secs: u64,
    /// Longest wait between send attempts, seconds (the cap of the exponential back-off; also the wait after an
    /// SHS error that needs an operator, e.g. a wrong product id).
    pub send_retry_max_secs: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_cases_per_file: 10_000,
            max_unreceipted_per_series: 1,
            first_lopnummer: 1,
            kvittens_overdue_minutes: 30,
            send_retry_base_secs: 30,
            send_retry_max_secs: 3600,
        }
    }
}

/// `[rules]`: intake rules that are policy, not law of nature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Cap for påminnelseavgift, kronor.
    pub cap_paminnelseavgift: Kronor,
    /// Cap for inkassokostnad, kronor.
    pub cap_inkassokostnad: Kronor,
    /// Cap for förseningsersättning (business debtors only), kronor.
    pub cap_forseningsersattning: Kronor,
    /// Cap for the fee for a payment plan (amorteringsplan), kronor.
    pub cap_amorteringsplan: Kronor,
    /// Kronofogden's application fee (ansökningsavgift), kronor: a claim for it must be exactly this.
    pub fee_ansokningsavgift: Kronor,
    /// Cap for the agent's fee for the application (ombudsarvode), kronor.
    pub cap_ombudsarvode: Kronor,
    /// Years after the claim arose before a consumer claim (not on a löpande skuldebrev) is held for limitation.
    pub limitation_years_consumer: u32,
    /// Years after the claim arose before another claim is held for limitation.
    pub limitation_years_other: u32,
    /// Most debtors per case.
    pub max_debtors: u32,
    /// Most claims per case.
    pub max_claims: u32,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            cap_paminnelseavgift: Kronor(Amount(6_000)),
            cap_inkassokostnad: Kronor(Amount(18_000)),
            cap_forseningsersattning: Kronor(Amount(45_000)),
            cap_amorteringsplan: Kronor(Amount(17_000)),
            fee_ansokningsavgift: Kronor(Amount(30_000)),
            cap_ombudsarvode: Kronor(Amount(38_000)),
            limitation_years_consumer: 3,
            limitation_years_other: 10,
            max_debtors: 9,
            max_claims: 20,
        }
    }
}

/// `[sim]`: the simulated Kronofogden node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Listen address.
    pub listen: String,
    /// The simulator's own SQLite state file.
    pub state: PathBuf,
    /// Evening run (bekräftelse), crontab.
    pub evening_run: CronExpr,
    /// Time zone of the evening run (IANA name).
    #[serde(with = "tz_name")]
    pub timezone: chrono_tz::Tz,
    /// Seconds after registration before an utslag report.
    pub utslag_delay_secs: u64,
    /// Share (0..=1) of registered BFÖ cases that the debtor disputes.
    pub disputed_share: f64,
    /// Largest accepted message body, bytes.
    pub max_body_bytes: u64,
    /// Refuse (`UnknownSender`) a message whose sender differs from the client certificate's subject
    /// `serialNumber` (the check SHS nodes can run, shs.md §8).
    pub check_sender: bool,
    /// Bearer token that grants the admin API (`/sim/v1/*`), for shared test environments.
    pub admin_token: Option<String>,
    /// X.509 serial numbers (hex) of client certificates that may call the admin API. When neither this nor
    /// `admin_token` is set, the admin is the client certificate whose subject `serialNumber` is this
    /// configuration's `[ingivare] org_number` (the development set-up's own client).
    pub admin_cert_serials: Vec<String>,
    /// The life of a FOGD-REF-2 case after registration (fogd-ref-2.md §6).
    pub life: SimLifeConfig,
}

/// `[sim.life]`: how the simulator plays a FOGD-REF-2 case after registration (fogd-ref-2.md §6). Each case's
/// path is decided by a hash of its reference (as `disputed_share`), so the same input gives the same messages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimLifeConfig {
    /// Days from the start of an enforcement to its salary garnishment decision (LUB).
    pub lub_delay_days: u32,
    /// Share (0..=1) of enforcement cases whose debtor runs out of assets before the debt is paid (they end
    /// `INGA_TILLGANGAR`).
    pub no_assets_share: f64,
    /// Most months over which a garnishment pays a debt (each case draws 1..=this).
    pub max_payment_months: u32,
    /// The yearly grundavgift Kronofogden charges while an enforcement is open (NYTTAVGAR), kronor.
    pub grundavgift: Kronor,
    /// The tingsrätt a disputed case is handed over to.
    pub court: String,
    /// Days from a fordringsanmälan to the skuldsanering decision (SKSRAPP).
    pub sks_decision_days: u32,
    /// Share (0..=1) of skuldsaneringar granted (the rest are refused, `A`).
    pub sks_granted_share: f64,
    /// Months of a granted skuldsanering's payment plan.
    pub sks_plan_months: u32,
}

impl Default for SimLifeConfig {
    fn default() -> Self {
        Self {
            lub_delay_days: 14,
            no_assets_share: 0.2,
            max_payment_months: 18,
            grundavgift: Kronor(Amount(60_000)),
            court: "Stockholms tingsrätt".into(),
            sks_decision_days: 30,
            sks_granted_share: 0.8,
            sks_plan_months: 60,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:7443".into(),
            state: "fogd-data/sim.db".into(),
            evening_run: CronExpr::builtin("0 19 * * 1-5"),
            timezone: chrono_tz::Europe::Stockholm,
            utslag_delay_secs: 60,
            disputed_share: 0.1,
            max_body_bytes: 100 * 1024 * 1024,
            check_sender: true,
            admin_token: None,
            admin_cert_serials: Vec::new(),
            life: SimLifeConfig::default(),
        }
    }
}

/// `[alerts]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Webhook URL for JSON alerts.
    pub webhook: Option<String>,
    /// Delivery attempts per notice (the first plus retries).
    pub webhook_attempts: u32,
    /// Wait before the first retry, milliseconds; doubles each retry.
    pub webhook_backoff_ms: u64,
    /// Days before a certificate's expiry at which to alert (each threshold alerts once).
    pub cert_warn_days: Vec<u32>,
    /// How often `fogd serve` checks alert conditions (crontab).
    pub check: CronExpr,
    /// E-mail addresses that get every alert and "recovered" notice (needs `[email] host`); same attempts and
    /// back-off as the webhook.
    pub email_to: Vec<String>,
    /// Days ahead of a case's deadline (överlämnande `sista_dag`, skuldsanering filing, end of an uppskov) at which
    /// to alert.
    pub deadline_warn_days: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            webhook: None,
            webhook_attempts: 4,
            webhook_backoff_ms: 1000,
            cert_warn_days: vec![60, 30, 7],
            check: CronExpr::builtin("* * * * *"),
            email_to: Vec::new(),
            deadline_warn_days: 7,
        }
    }
}

/// `[email]`: the SMTP relay (see `fogd::email`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// Relay host; unset: no e-mail.
    pub host: Option<String>,
    /// Port; default 587 (`starttls`), 465 (`tls`) or 25 (`none`).
    pub port: Option<u16>,
    /// `starttls`, `tls` or `none`.
    pub security: crate::email::Security,
    /// SMTP AUTH user.
    pub username: Option<String>,
    /// SMTP AUTH password (or `FOGD_EMAIL_PASSWORD`).
    pub password: Option<String>,
    /// A PEM CA certificate for a relay with a private CA.
    pub ca: Option<PathBuf>,
    /// Sender address.
    pub from: String,
    /// Connect and command timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            security: crate::email::Security::StartTls,
            username: None,
            password: None,
            ca: None,
            from: "fogd <fogd@localhost>".into(),
            timeout_secs: 30,
        }
    }
}

/// `[log]`: how `fogd` logs on stderr (`FOGD_LOG_FORMAT` is this section's `format` override; `FOGD_LOG`, a
/// filter, overrides `level`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `auto` (JSON when not on a terminal), `json` or `text`.
    pub format: LogFormat,
    /// Filter, e.g. `info` or `fogd=debug` (`tracing` filter directives), checked at load.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Auto,
            level: "info".into(),
        }
    }
}

/// The shape of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when stderr is not a terminal, text when it is.
    Auto,
    /// One JSON object per line.
    Json,
    /// Compact text.
    Text,
}

const SECTIONS: &[&str] = &[
    "database", "ingivare", "shs", "tls", "api", "schedule", "layouts", "interest", "batch",
    "rules", "sim", "alerts", "email", "log", "limits",
];

impl Config {
    /// Parses TOML text (no environment).
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let value = text
            .parse::<toml::Value>()
            .map_err(|e| ConfigError::Parse {
                path: origin.to_string(),
                message: e.to_string(),
            })?;
        typed(value, origin)
    }

    /// Loads configuration: the file at `path` (or `./fogd.toml` when present, or defaults), then environment
    /// overrides from `env` (pairs of name and value; pass `std::env::vars()`), then validates.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (mut value, origin) = match path {
            Some(p) => (read_toml(p)?, p.display().to_string()),
            None => {
                let p = Path::new("fogd.toml");
                if p.exists() {
                    (read_toml(p)?, "fogd.toml".to_string())
                } else {
                    (
                        toml::Value::Table(Default::default()),
                        "<defaults>".to_string(),
                    )
                }
            }
        };
        // Check the file alone first, so that its errors name the file.
        let _ = typed(value.clone(), &origin)?;
        apply_env(&mut value, env)?;
        let cfg = typed(value, "<environment>")?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Invalid {
            key: key.into(),
            message,
        };
        let u = &self.database.url;
        if !(u.starts_with("sqlite:")
            || u.starts_with("postgres://")
            || u.starts_with("postgresql://"))
        {
            return Err(bad(
                "database.url",
                format!("{u:?} must start with sqlite: or postgres://"),
            ));
        }
        if self.ingivare.org_number.len() != 10
            || !self.ingivare.org_number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad(
                "ingivare.org_number",
                "must be 10 digits without a dash".into(),
            ));
        }
        let intressentkod = &self.ingivare.intressentkod;
        if intressentkod.is_empty() || intressentkod.chars().count() > 3 {
            return Err(bad(
                "ingivare.intressentkod",
                format!("{intressentkod:?} must be 1–3 characters"),
            ));
        }
        if !(self.shs.url.starts_with("https://") || self.shs.url.starts_with("http://")) {
            return Err(bad(
                "shs.url",
                format!("{:?} is not an http(s) URL", self.shs.url),
            ));
        }
        if !(0.0..=1.0).contains(&self.sim.disputed_share) {
            return Err(bad("sim.disputed_share", "must be between 0 and 1".into()));
        }
        let life = &self.sim.life;
        for (key, share) in [
            ("sim.life.no_assets_share", life.no_assets_share),
            ("sim.life.sks_granted_share", life.sks_granted_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(bad(key, "must be between 0 and 1".into()));
            }
        }
        if life.max_payment_months == 0 {
            return Err(bad(
                "sim.life.max_payment_months",
                "must be at least 1".into(),
            ));
        }
        if let Some(e) = &self.layouts.edition {
            if !crate::formats::edition::EDITIONS.contains(&e.as_str()) {
                return Err(bad(
                    "layouts.edition",
                    format!(
                        "{e:?} is not an edition fogd ships ({})",
                        crate::formats::edition::EDITIONS.join(", ")
                    ),
                ));
            }
        }
        if self.batch.max_cases_per_file == 0 {
            return Err(bad("batch.max_cases_per_file", "must be at least 1".into()));
        }
        if self.batch.max_unreceipted_per_series == 0 {
            return Err(bad(
                "batch.max_unreceipted_per_series",
                "must be at least 1".into(),
            ));
        }
        tracing_subscriber::EnvFilter::builder()
            .parse(&self.log.level)
            .map_err(|e| bad("log.level", format!("{:?}: {e}", self.log.level)))?;
        crate::email::validate(self)?;
        if let Some((key, message)) = self.limits.problem() {
            return Err(bad(key, message));
        }
        self.check_api_tls().map_err(|(key, m)| bad(key, m))?;
        Ok(())
    }

    /// `[api] tls_cert` and `tls_key` come together; `public_url` is an http(s) URL.
    fn check_api_tls(&self) -> Result<(), (&'static str, String)> {
        if self.api.tls_cert.is_some() != self.api.tls_key.is_some() {
            return Err(("api.tls_cert", "tls_cert and tls_key go together".into()));
        }
        if let Some(u) = &self.api.public_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(("api.public_url", format!("{u:?} is not an http(s) URL")));
            }
        }
        Ok(())
    }

    /// True when the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database.url.starts_with("postgres")
    }
}

/// Reads a TOML tree into a [`Config`]; the error names the key (``… in `ingivare.org_number` ``).
fn typed(value: toml::Value, origin: &str) -> Result<Config, ConfigError> {
    value
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
}

fn read_toml(path: &Path) -> Result<toml::Value, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<toml::Value>().map_err(|e| ConfigError::Parse {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn apply_env(
    value: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let Some(root) = value.as_table_mut() else {
        return Ok(());
    };
    let defaults = toml::Value::try_from(Config::default()).map_err(|e| ConfigError::Parse {
        path: "<defaults>".into(),
        message: e.to_string(),
    })?;
    for (var, val) in env {
        let Some(rest) = var.strip_prefix("FOGD_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        let Some(section) = SECTIONS
            .iter()
            .find(|s| lower.starts_with(&format!("{s}_")))
        else {
            continue; // FOGD_CONFIG, FOGD_TEST_*, FOGD_LOG …: not config keys
        };
        let key = &lower[section.len() + 1..];
        if key.is_empty() {
            return Err(ConfigError::Env {
                var,
                message: "names no key".into(),
            });
        }
        let mut parsed =
            env_value(section, key, &val, &defaults).map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
        let unset_by_default = defaults.get(*section).and_then(|t| t.get(key)).is_none();
        if unset_by_default && !parsed.is_str() && !takes(root, section, key, &parsed) {
            // A key unset by default (an `Option`) that will not take the number: a string key after all.
            parsed = toml::Value::String(val.clone());
        }
        let table = root
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()));
        let Some(table) = table.as_table_mut() else {
            continue;
        };
        table.insert(key.to_string(), parsed);
    }
    Ok(())
}

/// Whether the configuration `root` with `section.key = value` reads, as far as that key is concerned.
fn takes(root: &toml::Table, section: &str, key: &str, value: &toml::Value) -> bool {
    let mut trial = root.clone();
    if let Some(t) = trial
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
    {
        t.insert(key.to_string(), value.clone());
    }
    match toml::Value::Table(trial).try_into::<Config>() {
        Ok(_) => true,
        Err(e) => !e.to_string().contains(&format!("in `{section}.{key}`")),
    }
}

/// An environment value read as the type of its key: the type of the key's default when it has one (a string
/// stays a string whatever it looks like; a number, boolean or list must be one), else (keys unset by default,
/// such as `[email] port`) a TOML number or boolean when it is one (the caller falls back to the string when the
/// key will not take it, [`takes`]), else a string.
fn env_value(
    section: &str,
    key: &str,
    val: &str,
    defaults: &toml::Value,
) -> Result<toml::Value, String> {
    let scalar = || {
        format!("v = {val}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
    };
    let default = defaults.get(section).and_then(|t| t.get(key));
    Ok(match default {
        Some(toml::Value::String(_)) => toml::Value::String(val.to_string()),
        Some(d @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_))) => {
            match (d, scalar()) {
                (toml::Value::Float(_), Some(toml::Value::Integer(n))) => {
                    toml::Value::Float(n as f64)
                }
                (_, Some(v)) if v.same_type(d) => v,
                _ => return Err(format!("{val:?}: expected {}", d.type_str())),
            }
        }
        Some(toml::Value::Array(_)) => match scalar() {
            Some(v @ toml::Value::Array(_)) => v,
            _ => return Err(format!("{val:?} is not a TOML list such as [1, 2]")),
        },
        _ => match scalar() {
            Some(
                v @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_)),
            ) if !val.trim().is_empty() => v,
            _ => toml::Value::String(val.to_string()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn layouts_edition_is_one_fogd_ships() {
        let cfg = Config::from_toml("[layouts]\nedition = \"FOGD-REF-1\"\n", "t.toml").unwrap();
        assert_eq!(cfg.layouts.edition_or_default(), "FOGD-REF-1");
        assert_eq!(Config::default().layouts.edition_or_default(), "FOGD-REF-2");
        let e = Config::from_toml("[layouts]\nedition = \"FOGD-REF-9\"\n", "t.toml")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("layouts.edition"), "{e}");
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml("[database]\nurll = \"x\"\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("urll"), "{e}");
    }

    #[test]
    fn env_overrides_and_types() {
        let cfg = Config::load(
            Some(Path::new("config/fogd.example.toml")),
            vec![
                (
                    "FOGD_DATABASE_URL".to_string(),
                    "postgres://127.0.0.1/test".to_string(),
                ),
                (
                    "FOGD_BATCH_MAX_CASES_PER_FILE".to_string(),
                    "50".to_string(),
                ),
                ("FOGD_TEST_POSTGRES_URL".to_string(), "ignored".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(cfg.database.url, "postgres://127.0.0.1/test");
        assert_eq!(cfg.batch.max_cases_per_file, 50);
        let e = Config::load(
            Some(Path::new("config/fogd.example.toml")),
            vec![("FOGD_SHS_NOPE".to_string(), "1".to_string())],
        )
        .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    /// Loads the example configuration with `env` on top.
    fn load_with(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load(
            Some(Path::new("config/fogd.example.toml")),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn env_values_take_the_type_of_their_key() {
        // Digit strings stay strings for string keys (the bug: "invalid type: integer, expected a string").
        let cfg = load_with(&[
            ("FOGD_INGIVARE_ORG_NUMBER", "5560000001"),
            ("FOGD_SHS_NODE_ORG_NUMBER", "2021000002"),
            ("FOGD_INGIVARE_INTRESSENTKOD", "123"),
            ("FOGD_API_CACHE", "false"),
            ("FOGD_SIM_DISPUTED_SHARE", "1"),
            ("FOGD_ALERTS_CERT_WARN_DAYS", "[14, 3]"),
            // Unset by default: a number where it is one, a string where it is not.
            ("FOGD_EMAIL_PORT", "2525"),
            ("FOGD_EMAIL_HOST", "10"),
            ("FOGD_SCHEDULE_CUTOFF", "0 18 * * 1-5"),
        ])
        .unwrap();
        assert_eq!(cfg.ingivare.org_number, "5560000001");
        assert_eq!(cfg.shs.node_org_number, "2021000002");
        assert_eq!(cfg.ingivare.intressentkod, "123");
        assert!(!cfg.api.cache);
        assert!((cfg.sim.disputed_share - 1.0).abs() < f64::EPSILON);
        assert_eq!(cfg.alerts.cert_warn_days, vec![14, 3]);
        assert_eq!(cfg.email.port, Some(2525));
        assert_eq!(cfg.email.host.as_deref(), Some("10"));
        assert_eq!(
            cfg.schedule.cutoff.as_ref().map(CronExpr::as_str),
            Some("0 18 * * 1-5")
        );
        // A number key given text is an error naming the variable, not a silent default.
        let e = load_with(&[("FOGD_BATCH_MAX_CASES_PER_FILE", "many")]).unwrap_err();
        assert!(
            matches!(&e, ConfigError::Env { var, .. } if var == "FOGD_BATCH_MAX_CASES_PER_FILE"),
            "{e}"
        );
        assert!(e.to_string().contains("expected integer"), "{e}");
    }

    #[test]
    fn values_are_typed_at_load_and_a_bad_one_names_its_key() {
        let cfg = Config::from_toml(
            "[schedule]\nsend = \"0 18 * * 1-5\"\ntimezone = \"Europe/Helsinki\"\n[email]\nsecurity = \"tls\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(cfg.schedule.send.as_str(), "0 18 * * 1-5");
        assert_eq!(cfg.schedule.timezone, chrono_tz::Europe::Helsinki);
        assert_eq!(cfg.email.security, crate::email::Security::Tls);
        let e = Config::from_toml("[log]\nlevel = \"fogd=loud\"\n", "t.toml")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid { key, .. } if key == "log.level"),
            "{e}"
        );
        let cfg = Config::from_toml("[rules]\ncap_inkassokostnad = \"62.50\"\n", "t.toml").unwrap();
        assert_eq!(cfg.rules.cap_inkassokostnad, Kronor(Amount(6_250)));
        for (text, key, says) in [
            (
                "[schedule]\nsend = \"61 * * * *\"\n",
                "schedule.send",
                "not a valid cron",
            ),
            (
                "[schedule]\npoll = \"* * *\"\n",
                "schedule.poll",
                "has 3 fields",
            ),
            ("[sim]\nevening_run = \"x\"\n", "sim.evening_run", "fields"),
            ("[alerts]\ncheck = 5\n", "alerts.check", "invalid type"),
            (
                "[schedule]\ntimezone = \"Mars/Olympus\"\n",
                "schedule.timezone",
                "IANA",
            ),
            ("[sim]\ntimezone = \"\"\n", "sim.timezone", "IANA"),
            (
                "[email]\nsecurity = \"ssl\"\n",
                "email.security",
                "starttls",
            ),
            ("[shs]\nstatus = \"prod\"\n", "shs.status", "production"),
            ("[log]\nformat = \"xml\"\n", "log.format", "auto"),
            (
                "[rules]\ncap_inkassokostnad = \"180 kr\"\n",
                "rules.cap_inkassokostnad",
                "\"180 kr\"",
            ),
            (
                "[ingivare]\norg_number = 5599999991\n",
                "ingivare.org_number",
                "expected a string",
            ),
        ] {
            let e = Config::from_toml(text, "t.toml").unwrap_err().to_string();
            assert!(
                e.contains(&format!("in `{key}`")) && e.contains(says),
                "{text}: {e}"
            );
            assert!(e.starts_with("config file t.toml"), "{e}");
        }
        // Through `load` as well: a bad value in the file names the file, in the environment the environment.
        let e = load_with(&[("FOGD_SCHEDULE_SEND", "never")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("<environment>") && e.contains("schedule.send"),
            "{e}"
        );
    }

    #[test]
    fn typed_values_write_back_as_given() {
        let cfg = Config::default();
        let text = toml::to_string(&cfg).unwrap();
        assert!(text.contains("send = \"*/5 * * * *\""), "{text}");
        assert!(text.contains("timezone = \"Europe/Stockholm\""), "{text}");
        assert!(text.contains("security = \"starttls\""), "{text}");
        assert_eq!(Config::from_toml(&text, "round trip").unwrap(), cfg);
    }

    #[test]
    fn example_config_loads_and_equals_defaults() {
        let cfg = Config::load(Some(Path::new("config/fogd.example.toml")), Vec::new()).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn cron_five_and_six_fields() {
        assert!(cron_schedule("*/5 * * * *").is_ok());
        assert!(cron_schedule("0 0 19 * * Mon-Fri").is_ok());
        assert!(cron_schedule("0 19 * * 1-5").is_ok());
        assert!(cron_schedule("bad").is_err());
        let s = cron_schedule("0 19 * * 1-5").unwrap();
        use chrono::{Datelike, TimeZone};
        let sat = chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .unwrap();
        let next = s.after(&sat).next().unwrap();
        assert_eq!(next.weekday(), chrono::Weekday::Mon);
    }
}
