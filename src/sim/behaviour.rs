//! What the simulated node does with messages: the seam between the generic SHS node (this module's siblings)
//! and Kronofogden's behaviour (FOGD-REF-1, implemented elsewhere against this trait).
//!
//! The node does everything SHS-generic (TLS, parsing, label checks, duplicate detection, storage, list / fetch /
//! ack, confirm messages, faults) and calls the behaviour at four points: a message arrived for the node
//! ([`Behaviour::on_message`]), the evening run ([`Behaviour::evening_run`], on admin request), a periodic tick
//! ([`Behaviour::due`], about once a second and before every list — the place for a cron-driven evening run and
//! delayed utslag), and the admin views. Replies it returns are stored by the node as new messages in the
//! recipients' outboxes. The behaviour keeps its own persistent state in the sim's SQLite file through
//! [`SimContext::pool`] (create its tables in [`Behaviour::init`]).

use crate::config::Config;
use crate::shs::{DataPart, SequenceType, ShsErrorCode, ShsMessage, Status};
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::SqlitePool;
use std::sync::Arc;

/// What a behaviour gets on each call.
#[derive(Debug, Clone)]
pub struct SimContext {
    /// The sim's SQLite pool (its own file; shared with the node's tables, which are prefixed `shs_`).
    pub pool: SqlitePool,
    /// The current instant (from the sim's clock).
    pub now: DateTime<Utc>,
    /// The same instant as node-local time (`sim.timezone`), as SHS timestamps are written.
    pub now_local: NaiveDateTime,
    /// The whole configuration (products in `shs.products`, `sim.*` settings, the node org number).
    pub config: Arc<Config>,
    /// Set on [`Behaviour::on_message`] when a `reject=FELKOD` fault fired for this message: the behaviour should
    /// reject the file whole with this felkod (a demo/test hook; `None` otherwise).
    pub reject_with: Option<String>,
}

/// A message the behaviour wants the node to send (store in `to`'s outbox). The node fills in `from` (its own
/// org number), a new `tx.id`, `datetime` and the label's `content/data`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundReply {
    /// Recipient organisation number (its outbox).
    pub to: String,
    /// Product id (UUID, or `confirm`/`error`).
    pub product: String,
    /// `subject`.
    pub subject: Option<String>,
    /// `corr.id`; default: the new `tx.id`.
    pub corr_id: Option<String>,
    /// `content.id`; default: a new UUID.
    pub content_id: Option<String>,
    /// `meta` entries.
    pub meta: Vec<(String, String)>,
    /// `sequence-type` (default `event`).
    pub sequence_type: SequenceType,
    /// `status`; default from `shs.status`.
    pub status: Option<Status>,
    /// The data parts.
    pub parts: Vec<DataPart>,
}

impl OutboundReply {
    /// An event message with one data part.
    pub fn event(to: &str, product: &str, part: DataPart) -> Self {
        Self {
            to: to.into(),
            product: product.into(),
            subject: None,
            corr_id: None,
            content_id: None,
            meta: Vec::new(),
            sequence_type: SequenceType::Event,
            status: None,
            parts: vec![part],
        }
    }
}

/// A refusal of a received message: the node answers HTTP 400 with this code and stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {info}")]
pub struct Rejection {
    /// The SHS error code.
    pub code: ShsErrorCode,
    /// Free text for the body.
    pub info: String,
}

/// A behaviour failure (its own state could not be read or written).
#[derive(Debug, thiserror::Error)]
pub enum BehaviourError {
    /// Database.
    #[error("sim behaviour database: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else.
    #[error("sim behaviour: {0}")]
    Other(String),
}

/// Kronofogden's (or a test's) behaviour behind the SHS node.
pub trait Behaviour: Send + Sync + 'static {
    /// Creates the behaviour's tables (called once at start, before any other call).
    fn init<'a>(&'a self, _pool: &'a SqlitePool) -> BoxFuture<'a, Result<(), BehaviourError>> {
        Box::pin(async { Ok(()) })
    }

    /// A message addressed to the node passed the SHS checks. Return the replies to queue at once (e.g. a
    /// kvittens), or a rejection (HTTP 400 with its code; nothing stored).
    fn on_message<'a>(
        &'a self,
        ctx: &'a SimContext,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, Rejection>>;

    /// The evening run, requested through `POST /sim/v1/evening-run` (a behaviour with its own cron does the same
    /// from [`Behaviour::due`]).
    fn evening_run<'a>(
        &'a self,
        _ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, BehaviourError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Periodic tick: return replies that have become due at `ctx.now`.
    fn due<'a>(
        &'a self,
        _ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, BehaviourError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// `POST /sim/v1/advance {"days": N}`: move the behaviour's own calendar N days forward and return what fell
    /// due in those days, with a JSON summary (a behaviour without a calendar moves nothing).
    fn advance<'a>(
        &'a self,
        _ctx: &'a SimContext,
        days: u32,
    ) -> BoxFuture<'a, Result<(Vec<OutboundReply>, serde_json::Value), BehaviourError>> {
        Box::pin(async move {
            Ok((
                Vec::new(),
                serde_json::json!({ "days": days, "moved": false }),
            ))
        })
    }

    /// `GET /sim/v1/files`.
    fn admin_files<'a>(
        &'a self,
        _ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<serde_json::Value, BehaviourError>> {
        Box::pin(async { Ok(serde_json::json!([])) })
    }

    /// `GET /sim/v1/cases`.
    fn admin_cases<'a>(
        &'a self,
        _ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<serde_json::Value, BehaviourError>> {
        Box::pin(async { Ok(serde_json::json!([])) })
    }
}

/// Accepts every message and answers nothing (the node alone; used until a real behaviour is plugged in).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullBehaviour;

impl Behaviour for NullBehaviour {
    fn on_message<'a>(
        &'a self,
        _ctx: &'a SimContext,
        _msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, Rejection>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// A small behaviour for tests and demos: answers every received message with one `event` message back to its
/// sender (product `reply_product`, one text part `echo.txt` holding the received file names), correlated by
/// `corr.id`; refuses a message whose subject is `reject:<Code>` with that code; the evening run answers once
/// per message received since the previous run (product `evening_product`), kept in its own table.
#[derive(Debug, Clone)]
pub struct EchoBehaviour {
    /// Product of the immediate reply.
    pub reply_product: String,
    /// Product of evening-run replies.
    pub evening_product: String,
}

impl Behaviour for EchoBehaviour {
    fn init<'a>(&'a self, pool: &'a SqlitePool) -> BoxFuture<'a, Result<(), BehaviourError>> {
        Box::pin(async move {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS echo_pending (tx_id TEXT PRIMARY KEY, sender TEXT NOT NULL, corr_id TEXT NOT NULL)",
            )
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    fn on_message<'a>(
        &'a self,
        ctx: &'a SimContext,
        msg: &'a ShsMessage,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, Rejection>> {
        Box::pin(async move {
            if let Some(code) = msg
                .label
                .subject
                .as_deref()
                .and_then(|s| s.strip_prefix("reject:"))
            {
                return Err(Rejection {
                    code: ShsErrorCode::parse(code),
                    info: format!("echo behaviour refuses: {code}"),
                });
            }
            let sender = msg.label.sender_org().unwrap_or_default().to_string();
            sqlx::query(
                "INSERT OR IGNORE INTO echo_pending (tx_id, sender, corr_id) VALUES (?, ?, ?)",
            )
            .bind(&msg.label.tx_id)
            .bind(&sender)
            .bind(&msg.label.corr_id)
            .execute(&ctx.pool)
            .await
            .map_err(|e| Rejection {
                code: ShsErrorCode::OtherError,
                info: e.to_string(),
            })?;
            let names: Vec<String> = msg
                .parts
                .iter()
                .filter_map(|p| p.filename.clone())
                .collect();
            let mut r = OutboundReply::event(
                &sender,
                &self.reply_product,
                DataPart::new(
                    "echo",
                    Some("echo.txt"),
                    "text/plain; charset=ISO-8859-1",
                    names.join("\n").into_bytes(),
                ),
            );
            r.corr_id = Some(msg.label.corr_id.clone());
            r.subject = Some("echo".into());
            Ok(vec![r])
        })
    }

    fn evening_run<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<Vec<OutboundReply>, BehaviourError>> {
        Box::pin(async move {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("SELECT tx_id, sender, corr_id FROM echo_pending ORDER BY tx_id")
                    .fetch_all(&ctx.pool)
                    .await?;
            sqlx::query("DELETE FROM echo_pending")
                .execute(&ctx.pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(tx, sender, corr)| {
                    let mut r = OutboundReply::event(
                        &sender,
                        &self.evening_product,
                        DataPart::new(
                            "evening",
                            Some("evening.txt"),
                            "text/plain",
                            tx.into_bytes(),
                        ),
                    );
                    r.corr_id = Some(corr);
                    r
                })
                .collect())
        })
    }

    fn admin_files<'a>(
        &'a self,
        ctx: &'a SimContext,
    ) -> BoxFuture<'a, Result<serde_json::Value, BehaviourError>> {
        Box::pin(async move {
            let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM echo_pending")
                .fetch_one(&ctx.pool)
                .await?;
            Ok(serde_json::json!({ "pending_evening": n.0 }))
        })
    }
}
