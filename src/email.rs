//! E-mail over SMTP (`lettre`): the second delivery path of alerts (beside the webhook, with the same retries and
//! "recovered" notices, see [`crate::alerts`]) and the delivery of scheduled reports as attachments.
//!
//! `[email]` names the relay: `host` (unset: no e-mail), `port` (default by `security`: 587 `starttls`, 465 `tls`,
//! 25 `none`), `security` (`starttls`: plain connection upgraded with STARTTLS, refused when the relay does not
//! offer it; `tls`: TLS from the first byte, "SMTPS"; `none`: plain, only for a relay on the same host),
//! `username`/`password` (SMTP AUTH, PLAIN or LOGIN as the relay offers, only over TLS), `ca` (a PEM CA for a relay
//! with a private CA; public CAs, Mozilla's list, are always trusted), `from`, `timeout_secs`. Recipients are
//! `[alerts] email_to` and `[schedule] reports_email_to`.

use crate::config::{Config, ConfigError, EmailConfig};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Why e-mail could not be set up or sent.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Bad `[email]` settings.
    #[error("[email] {0}")]
    Setup(String),
    /// The message could not be built.
    #[error("building the message: {0}")]
    Build(String),
    /// The relay refused or could not be reached.
    #[error("SMTP {host}:{port}: {message}")]
    Send {
        /// Relay host.
        host: String,
        /// Relay port.
        port: u16,
        /// What went wrong.
        message: String,
    },
}

/// How the connection to the relay is protected (`[email] security`: `starttls`, `tls` or `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// STARTTLS on a plain connection (required).
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No TLS.
    None,
}

impl Security {
    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// An e-mail address list from configuration, or the key and value that is wrong.
pub fn parse_recipients(key: &str, list: &[String]) -> Result<Vec<Mailbox>, ConfigError> {
    list.iter()
        .map(|a| {
            a.parse::<Mailbox>().map_err(|e| ConfigError::Invalid {
                key: key.into(),
                message: format!("{a:?} is not an e-mail address: {e}"),
            })
        })
        .collect()
}

/// Checks `[email]` and the recipient lists (called by [`Config::validate`]).
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    let e = &config.email;
    let bad = |key: &str, message: String| ConfigError::Invalid {
        key: key.into(),
        message,
    };
    e.from
        .parse::<Mailbox>()
        .map_err(|x| bad("email.from", format!("{:?}: {x}", e.from)))?;
    parse_recipients("alerts.email_to", &config.alerts.email_to)?;
    parse_recipients(
        "schedule.reports_email_to",
        &config.schedule.reports_email_to,
    )?;
    let wants = !config.alerts.email_to.is_empty() || !config.schedule.reports_email_to.is_empty();
    if wants && e.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
        return Err(bad(
            "email.host",
            "alerts.email_to or schedule.reports_email_to is set but [email] host is not".into(),
        ));
    }
    if e.password.is_some() && e.username.is_none() {
        return Err(bad(
            "email.username",
            "a password is set without a username".into(),
        ));
    }
    if e.username.is_some() && e.security == Security::None {
        return Err(bad(
            "email.security",
            "SMTP AUTH sends the password: use starttls or tls".into(),
        ));
    }
    Ok(())
}

/// A file sent with a message.
#[derive(Debug, Clone)]
pub struct MailAttachment {
    /// File name shown to the reader.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Sends messages through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// The mailer of `[email]`, or `None` when no `host` is set.
    pub fn from_config(cfg: &EmailConfig) -> Result<Option<Mailer>, EmailError> {
        let Some(host) = cfg.host.as_deref().map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let security = cfg.security;
        let port = cfg.port.unwrap_or(security.default_port());
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(cfg.timeout_secs.max(1))));
        if security != Security::None {
            let mut params = TlsParameters::builder(host.to_string());
            if let Some(ca) = &cfg.ca {
                let pem = std::fs::read(ca)
                    .map_err(|e| EmailError::Setup(format!("ca {}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| EmailError::Setup(format!("ca {}: {e}", ca.display())))?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build()
                .map_err(|e| EmailError::Setup(format!("TLS: {e}")))?;
            builder = builder.tls(match security {
                Security::Tls => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        if let Some(user) = &cfg.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                cfg.password.clone().unwrap_or_default(),
            ));
        }
        let from = cfg
            .from
            .parse::<Mailbox>()
            .map_err(|e| EmailError::Setup(format!("from {:?}: {e}", cfg.from)))?;
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
            host: host.to_string(),
            port,
        }))
    }

    /// Sends one message with `body` (plain text, UTF-8) and `attachments` to `to`.
    pub async fn send(
        &self,
        to: &[Mailbox],
        subject: &str,
        body: &str,
        attachments: &[MailAttachment],
    ) -> Result<(), EmailError> {
        let mut b = Message::builder().from(self.from.clone()).subject(subject);
        for t in to {
            b = b.to(t.clone());
        }
        let text = SinglePart::plain(body.to_string());
        let msg = if attachments.is_empty() {
            b.singlepart(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(text);
            for a in attachments {
                let ct = ContentType::parse(&a.content_type)
                    .map_err(|e| EmailError::Build(format!("{}: {e}", a.content_type)))?;
                parts = parts.singlepart(Attachment::new(a.name.clone()).body(a.bytes.clone(), ct));
            }
            b.multipart(parts)
        }
        .map_err(|e| EmailError::Build(e.to_string()))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| EmailError::Send {
                host: self.host.clone(),
                port: self.port,
                message: error_chain(&e),
            })
    }

    /// [`Mailer::send`] tried `attempts` times, waiting `backoff` before the first retry and twice as long before
    /// each next one; every failed attempt is logged. Returns the last error when all fail.
    pub async fn send_with_retry(
        &self,
        to: &[Mailbox],
        subject: &str,
        body: &str,
        attachments: &[MailAttachment],
        attempts: u32,
        backoff: Duration,
    ) -> Result<(), EmailError> {
        let attempts = attempts.max(1);
        let mut delay = backoff;
        let mut last = None;
        for attempt in 1..=attempts {
            match self.send(to, subject, body, attachments).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "e-mail not delivered");
                    last = Some(e);
                }
            }
            if attempt < attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        Err(last.unwrap_or_else(|| EmailError::Build("no attempt".into())))
    }
}

/// An error and its causes in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}
