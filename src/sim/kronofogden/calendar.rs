//! The sim's own calendar: the wall clock (or the test's clock) plus a number of days the calendar was moved
//! forward (`kf_meta.calendar_days`, so it survives restarts). Every behaviour call sees the moved time, so
//! `POST /sim/v1/advance {"days": N}` (`fogd sim advance --days N`) makes N days pass for registrations, utslag,
//! disputes, deadlines and payments — one day at a time, each day's messages dated that day.

use super::*;

/// The most days one advance may move (ten years).
pub const MAX_ADVANCE_DAYS: u32 = 3660;

/// `ctx` moved `days` days forward.
fn shifted(ctx: &SimContext, days: i64) -> SimContext {
    let by = chrono::Duration::days(days);
    let mut c = ctx.clone();
    c.now += by;
    c.now_local += by;
    c
}

async fn calendar_days(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    let r: Option<(String,)> =
        sqlx::query_as("SELECT value FROM kf_meta WHERE key = 'calendar_days'")
            .fetch_optional(pool)
            .await?;
    Ok(r.and_then(|r| r.0.parse().ok()).unwrap_or(0))
}

impl KronofogdenBehaviour {
    /// `ctx` on the sim's calendar.
    pub(super) async fn on_calendar(&self, ctx: &SimContext) -> Result<SimContext, sqlx::Error> {
        Ok(shifted(ctx, calendar_days(&ctx.pool).await?))
    }

    /// What falls due at `ctx` (already on the calendar): the evening run when its cron fired, utslag reports,
    /// and the life after registration.
    pub(super) async fn day_tick(
        &self,
        ctx: &SimContext,
    ) -> Result<Vec<OutboundReply>, BehaviourError> {
        let mut replies = Vec::new();
        if self.evening_due(ctx).await? {
            replies.extend(self.run_evening(ctx).await?);
        }
        replies.extend(self.run_utslag(ctx).await?);
        replies.extend(self.run_life(ctx).await?);
        Ok(replies)
    }

    /// Moves the calendar `days` forward, one day at a time, and returns every message that fell due, with a
    /// summary (`days`, `today`, `calendar_days`). The caller holds the behaviour's lock.
    pub(super) async fn advance_days(
        &self,
        ctx: &SimContext,
        days: u32,
    ) -> Result<(Vec<OutboundReply>, serde_json::Value), BehaviourError> {
        if days > MAX_ADVANCE_DAYS {
            return Err(BehaviourError::Other(format!(
                "advance: {days} days is more than {MAX_ADVANCE_DAYS}"
            )));
        }
        let mut replies = Vec::new();
        let mut total = calendar_days(&ctx.pool).await?;
        let mut moved = 0;
        let mut error = None;
        for _ in 0..days {
            let mut tx = crate::sim::db::begin_write(&ctx.pool).await?;
            meta_set(&mut tx, "calendar_days", &(total + 1).to_string()).await?;
            tx.commit().await?;
            total += 1;
            moved += 1;
            // A day that fails stops the advance; what earlier days produced is still sent (their state is
            // committed), and the failed day's work is retried by the next tick.
            match self.day_tick(&shifted(ctx, total)).await {
                Ok(r) => replies.extend(r),
                Err(e) => {
                    tracing::error!(error = %e, day = total, "sim advance stopped");
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        let today = shifted(ctx, total).now_local.date();
        let mut summary = serde_json::json!({ "days": moved, "today": today.to_string(), "calendar_days": total });
        if let Some(e) = error {
            summary["error"] = serde_json::Value::String(e);
        }
        Ok((replies, summary))
    }
}
