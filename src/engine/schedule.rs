//! Cron schedules and the job runner of `fogd serve`.
//!
//! Schedules are crontab expressions (5 fields, or 6 with seconds first; [`crate::config::CronExpr`]) read on
//! the wall clock of a time zone (Europe/Stockholm by default). Daylight-saving rules (the reading of Vixie cron):
//! - a wall time that does not exist (the spring gap, 02:00–03:00 in Stockholm) runs once at the first instant
//!   after the gap;
//! - a wall time that happens twice (the autumn repeat) runs once, at its first occurrence — unless the hour field
//!   is a wildcard (`*`, `*/2` …): such "frequent" jobs run by the real clock through both occurrences, so a
//!   `* * * * *` poll job keeps polling during the repeated hour.
//!
//! The runner: each job runs in its own loop, strictly one run at a time (a run that overruns the next due time
//! makes that firing coalesce into one run after it; never two at once). Each start and end is recorded in the
//! store (`job_runs`); at start, a job whose next due time after its last recorded run has already passed (the
//! daemon was down) runs once at once. On shutdown no new run starts and the run in flight finishes.

use crate::clock::SharedClock;
use crate::store::Store;
use chrono::{
    DateTime, Duration as ChronoDuration, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Most wall-clock candidates examined for one next-time computation (a bound for impossible schedules).
const MAX_CANDIDATES: usize = 200_000;

/// Why a schedule could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// A bad cron expression.
    #[error("schedule {name}: {message}")]
    Cron {
        /// Job name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A bad time zone.
    #[error("time zone {0:?} is not an IANA time zone")]
    TimeZone(String),
}

/// A cron expression bound to a time zone.
#[derive(Debug, Clone)]
pub struct CronSpec {
    expr: String,
    schedule: cron::Schedule,
    tz: Tz,
    frequent: bool,
}

impl CronSpec {
    /// A configured schedule read in time zone `tz`.
    pub fn new(cron: &crate::config::CronExpr, tz: Tz) -> CronSpec {
        let expr = cron.as_str();
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let hour_field = if fields.len() == 5 {
            fields.get(1)
        } else {
            fields.get(2)
        };
        let frequent = hour_field.is_some_and(|h| h.contains('*'));
        CronSpec {
            expr: expr.to_string(),
            schedule: cron.schedule().clone(),
            tz,
            frequent,
        }
    }

    /// Parses `expr` (5 or 6 fields) for time zone `tz` (IANA name); `name` names the job in the error.
    pub fn parse(name: &str, expr: &str, tz: &str) -> Result<CronSpec, ScheduleError> {
        let cron = crate::config::CronExpr::parse(expr).map_err(|message| ScheduleError::Cron {
            name: name.to_string(),
            message,
        })?;
        let tz: Tz = tz
            .parse()
            .map_err(|_| ScheduleError::TimeZone(tz.to_string()))?;
        Ok(CronSpec::new(&cron, tz))
    }

    /// The expression as given.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The instants a wall time stands for under the DST rules of the module doc.
    fn instants(&self, n: NaiveDateTime) -> Vec<DateTime<Utc>> {
        use chrono::LocalResult;
        match self.tz.from_local_datetime(&n) {
            LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                if self.frequent {
                    vec![a.min(b), a.max(b)]
                } else {
                    vec![a.min(b)]
                }
            }
            LocalResult::None => {
                let mut m = n
                    .with_second(0)
                    .and_then(|m| m.with_nanosecond(0))
                    .unwrap_or(n);
                for _ in 0..(24 * 60) {
                    m += ChronoDuration::minutes(1);
                    if let Some(t) = self.tz.from_local_datetime(&m).earliest() {
                        return vec![t.with_timezone(&Utc)];
                    }
                }
                Vec::new()
            }
        }
    }

    /// The first instant strictly after `after` when the job is due, or `None` if it never is again.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_after = after.with_timezone(&self.tz);
        let naive_after = local_after.naive_local();
        // Fast path: the next wall time is unambiguous and no offset change lies between.
        let pseudo = Utc.from_utc_datetime(&naive_after);
        let first = self.schedule.after(&pseudo).next()?;
        if let chrono::LocalResult::Single(t) = self.tz.from_local_datetime(&first.naive_utc()) {
            if t.offset().fix() == local_after.offset().fix() && t.with_timezone(&Utc) > after {
                return Some(t.with_timezone(&Utc));
            }
        }
        // Slow path around a transition: look from two hours of wall time back, keep the earliest instant.
        let start = Utc.from_utc_datetime(&(naive_after - ChronoDuration::hours(2)));
        let mut best: Option<DateTime<Utc>> = None;
        for n in self.schedule.after(&start).take(MAX_CANDIDATES) {
            let n = n.naive_utc();
            if let Some(b) = best {
                if n > b.with_timezone(&self.tz).naive_local() + ChronoDuration::hours(3) {
                    break;
                }
            }
            for t in self.instants(n) {
                if t > after && best.is_none_or(|b| t < b) {
                    best = Some(t);
                }
            }
        }
        best
    }
}

/// The body of a job: an async function returning why it failed.
pub type JobFn =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), JobFailure>> + Send>> + Send + Sync>;

/// Why a job's run failed: the body's own error, kept with its causes.
pub type JobFailure = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A scheduled job.
#[derive(Clone)]
pub struct Job {
    /// Name (`send`, `poll`, `reports`, `alerts` …), also the key in `job_runs` and the metrics label.
    pub name: String,
    /// When it runs.
    pub spec: CronSpec,
    /// What it does.
    pub run: JobFn,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("spec", &self.spec.expr)
            .finish()
    }
}

/// Counters of one job, for `/metrics`.
#[derive(Debug, Default)]
pub struct JobStats {
    /// Runs started since the daemon started.
    pub runs: AtomicU64,
    /// Runs that failed.
    pub failures: AtomicU64,
    /// Whether a run is in flight.
    pub running: AtomicBool,
    /// Duration of the last run, milliseconds.
    pub last_duration_ms: AtomicU64,
}

/// Runs jobs on their schedules.
#[derive(Debug)]
pub struct Scheduler {
    clock: SharedClock,
    store: Option<Store>,
    jobs: Vec<(Job, Arc<JobStats>)>,
    tick: Duration,
}

impl Scheduler {
    /// A scheduler reading `clock`, recording runs in `store` (if any).
    pub fn new(clock: SharedClock, store: Option<Store>) -> Scheduler {
        Scheduler {
            clock,
            store,
            jobs: Vec::new(),
            tick: Duration::from_secs(1),
        }
    }

    /// How often a waiting job looks at the clock (default 1 s; tests with a manual clock use less).
    pub fn with_tick(mut self, tick: Duration) -> Scheduler {
        self.tick = tick;
        self
    }

    /// Adds a job; returns its counters.
    pub fn add(&mut self, job: Job) -> Arc<JobStats> {
        let stats = Arc::new(JobStats::default());
        self.jobs.push((job, stats.clone()));
        stats
    }

    /// Every job's name and counters.
    pub fn stats(&self) -> Vec<(String, Arc<JobStats>)> {
        self.jobs
            .iter()
            .map(|(j, s)| (j.name.clone(), s.clone()))
            .collect()
    }

    /// Runs every job until `shutdown` becomes true; returns when the runs in flight have finished.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut set = tokio::task::JoinSet::new();
        for (job, stats) in self.jobs {
            let runner = JobLoop {
                clock: self.clock.clone(),
                store: self.store.clone(),
                job,
                stats,
                tick: self.tick,
            };
            set.spawn(runner.run(shutdown.clone()));
        }
        while set.join_next().await.is_some() {}
    }
}

struct JobLoop {
    clock: SharedClock,
    store: Option<Store>,
    job: Job,
    stats: Arc<JobStats>,
    tick: Duration,
}

impl JobLoop {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let name = self.job.name.as_str();
        let now = self.clock.now();
        if let Some(store) = &self.store {
            match store.job_run(name).await {
                Ok(Some(last)) => {
                    let missed = DateTime::parse_from_rfc3339(&last.last_due)
                        .ok()
                        .and_then(|d| self.job.spec.next_after(d.with_timezone(&Utc)))
                        .is_some_and(|next| next <= now);
                    if missed && !*shutdown.borrow() {
                        tracing::info!(
                            job = name,
                            "a run was missed while fogd was down; running it once now"
                        );
                        self.run_once(now).await;
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(job = name, error = %e, "cannot read the job's last run"),
            }
        }
        let Some(mut next) = self.job.spec.next_after(self.clock.now()) else {
            tracing::warn!(job = name, "schedule never fires again");
            return;
        };
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.clock.now();
            if now >= next {
                self.run_once(next).await;
                let after = self.clock.now().max(next);
                match self.job.spec.next_after(after) {
                    Some(n) => next = n,
                    None => return,
                }
                continue;
            }
            let wait = (next - now)
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(self.tick);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn run_once(&self, due: DateTime<Utc>) {
        let name = self.job.name.as_str();
        if self.stats.running.swap(true, Ordering::SeqCst) {
            return; // cannot happen within one loop; a guard against a future second caller
        }
        let started = self.clock.now();
        if let Some(store) = &self.store {
            if let Err(e) = store.job_started(name, due, started).await {
                tracing::warn!(job = name, error = %e, "cannot record the job start");
            }
        }
        self.stats.runs.fetch_add(1, Ordering::Relaxed);
        let t0 = std::time::Instant::now();
        let result = (self.job.run)().await;
        let elapsed = t0.elapsed();
        self.stats
            .last_duration_ms
            .store(elapsed.as_millis() as u64, Ordering::Relaxed);
        let failure = result.as_ref().err().map(|e| with_causes(e.as_ref()));
        match &failure {
            None => tracing::info!(job = name, ms = elapsed.as_millis() as u64, "job done"),
            Some(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(job = name, error = %e, "job failed");
            }
        }
        if let Some(store) = &self.store {
            if let Err(e) = store
                .job_finished(name, self.clock.now(), failure.as_deref())
                .await
            {
                tracing::warn!(job = name, error = %e, "cannot record the job end");
            }
        }
        self.stats.running.store(false, Ordering::SeqCst);
    }
}

/// Makes a [`JobFn`] from an async closure whose error is any error type.
pub fn job_fn<F, Fut, E>(f: F) -> JobFn
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    Arc::new(move || {
        let run = f();
        Box::pin(async move { run.await.map_err(JobFailure::from) })
    })
}

/// An error and its causes, joined with `: ` (a cause whose text the line already holds is left out).
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn run_times(spec: &CronSpec, from: &str, n: usize) -> Vec<String> {
        let mut t = utc(from);
        let mut out = Vec::new();
        for _ in 0..n {
            t = spec.next_after(t).unwrap();
            out.push(t.format("%Y-%m-%dT%H:%MZ").to_string());
        }
        out
    }

    #[test]
    fn a_failure_is_logged_and_recorded_with_its_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("sending the reports")]
        struct Outer(#[source] std::io::Error);
        let e: JobFailure = Box::new(Outer(std::io::Error::other("relay refused")));
        assert_eq!(
            with_causes(e.as_ref()),
            "sending the reports: relay refused"
        );
        // A cause the message already prints is not repeated.
        #[derive(Debug, thiserror::Error)]
        #[error("store: {0}")]
        struct Prints(#[source] std::io::Error);
        let e: JobFailure = Box::new(Prints(std::io::Error::other("disk full")));
        assert_eq!(with_causes(e.as_ref()), "store: disk full");
    }

    #[test]
    fn nightly_job_in_spring_gap_runs_once_after_the_gap() {
        // 2026-03-29: Stockholm jumps 02:00 CET → 03:00 CEST (01:00Z).
        let s = CronSpec::parse("cutoff", "30 2 * * *", "Europe/Stockholm").unwrap();
        assert_eq!(
            run_times(&s, "2026-03-27T12:00:00Z", 4),
            [
                "2026-03-28T01:30Z", // 02:30 CET
                "2026-03-29T01:00Z", // 02:30 does not exist: 03:00 CEST
                "2026-03-30T00:30Z", // 02:30 CEST
                "2026-03-31T00:30Z",
            ]
        );
    }

    #[test]
    fn nightly_job_in_autumn_repeat_runs_once() {
        // 2026-10-25: Stockholm goes 03:00 CEST → 02:00 CET (01:00Z); 02:30 happens twice.
        let s = CronSpec::parse("cutoff", "30 2 * * *", "Europe/Stockholm").unwrap();
        assert_eq!(
            run_times(&s, "2026-10-23T12:00:00Z", 4),
            [
                "2026-10-24T00:30Z",
                "2026-10-25T00:30Z", // first 02:30 (CEST) only
                "2026-10-26T01:30Z", // 02:30 CET
                "2026-10-27T01:30Z",
            ]
        );
    }

    #[test]
    fn frequent_job_keeps_running_through_both_transitions() {
        let s = CronSpec::parse("send", "*/30 * * * *", "Europe/Stockholm").unwrap();
        assert_eq!(
            run_times(&s, "2026-10-24T23:40:00Z", 6),
            [
                "2026-10-25T00:00Z", // 02:00 CEST
                "2026-10-25T00:30Z", // 02:30 CEST
                "2026-10-25T01:00Z", // 02:00 CET
                "2026-10-25T01:30Z", // 02:30 CET
                "2026-10-25T02:00Z", // 03:00 CET
                "2026-10-25T02:30Z",
            ]
        );
        assert_eq!(
            run_times(&s, "2026-03-29T00:10:00Z", 4),
            [
                "2026-03-29T00:30Z", // 01:30 CET
                "2026-03-29T01:00Z", // 02:00/02:30 gap → once at 03:00 CEST
                "2026-03-29T01:30Z", // 03:30 CEST
                "2026-03-29T02:00Z",
            ]
        );
    }

    #[test]
    fn weekday_evening_job_follows_local_time_and_six_fields_work() {
        let s = CronSpec::parse("reports", "0 19 * * 1-5", "Europe/Stockholm").unwrap();
        // Friday 2026-03-27 19:00 CET = 18:00Z; Monday 2026-03-30 19:00 CEST = 17:00Z.
        assert_eq!(
            run_times(&s, "2026-03-27T12:00:00Z", 2),
            ["2026-03-27T18:00Z", "2026-03-30T17:00Z"]
        );
        let s6 = CronSpec::parse("poll", "*/20 * * * * *", "Europe/Stockholm").unwrap();
        let t = s6.next_after(utc("2026-01-01T00:00:05Z")).unwrap();
        assert_eq!(t, utc("2026-01-01T00:00:20Z"));
        assert!(CronSpec::parse("x", "61 * * * *", "Europe/Stockholm").is_err());
        assert!(CronSpec::parse("x", "* * * * *", "Mars/Olympus").is_err());
    }

    async fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let store = Store::open(&url, 2).await.unwrap();
        (dir, store)
    }

    async fn wait_for(cond: impl Fn() -> bool) {
        for _ in 0..500 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("condition not reached");
    }

    #[tokio::test]
    async fn never_two_runs_at_once_and_overrun_coalesces() {
        let (_d, store) = temp_store().await;
        let clock = ManualClock::new(utc("2026-05-01T10:00:30Z"));
        let shared: SharedClock = Arc::new(clock.clone());
        let active = Arc::new(AtomicU64::new(0));
        let max_active = Arc::new(AtomicU64::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let (a, m, r) = (active.clone(), max_active.clone(), release.clone());
        let mut sched =
            Scheduler::new(shared, Some(store.clone())).with_tick(Duration::from_millis(2));
        let stats = sched.add(Job {
            name: "send".into(),
            spec: CronSpec::parse("send", "* * * * *", "Europe/Stockholm").unwrap(),
            run: job_fn(move || {
                let (a, m, r) = (a.clone(), m.clone(), r.clone());
                async move {
                    let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    r.notified().await;
                    a.fetch_sub(1, Ordering::SeqCst);
                    Err(std::io::Error::other("simulated failure"))
                }
            }),
        });
        let (tx, rx) = watch::channel(false);
        let handle = tokio::spawn(sched.run(rx));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(stats.runs.load(Ordering::SeqCst), 0, "not due yet");
        clock.advance(ChronoDuration::seconds(40)); // 10:01:10: due
        wait_for(|| stats.runs.load(Ordering::SeqCst) == 1).await;
        // While the run hangs, five more minutes pass: no second run starts.
        clock.advance(ChronoDuration::minutes(5));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(stats.runs.load(Ordering::SeqCst), 1);
        release.notify_one();
        wait_for(|| !stats.running.load(Ordering::SeqCst)).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        // The missed firings coalesce: nothing until the next minute boundary.
        assert_eq!(stats.runs.load(Ordering::SeqCst), 1);
        clock.advance(ChronoDuration::minutes(1));
        wait_for(|| stats.runs.load(Ordering::SeqCst) == 2).await;
        // Shutdown lets the run in flight finish.
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!handle.is_finished(), "waits for the run in flight");
        release.notify_one();
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(max_active.load(Ordering::SeqCst), 1);
        assert_eq!(stats.failures.load(Ordering::SeqCst), 2);
        let rec = store.job_run("send").await.unwrap().unwrap();
        assert_eq!((rec.runs, rec.failures, rec.last_ok), (2, 2, Some(false)));
    }

    #[tokio::test]
    async fn missed_run_runs_once_at_start() {
        let (_d, store) = temp_store().await;
        // Last due 09:00; the every-15-minutes job missed 09:15 … 10:00 while fogd was down.
        store
            .job_started(
                "poll",
                utc("2026-05-01T09:00:00Z"),
                utc("2026-05-01T09:00:00Z"),
            )
            .await
            .unwrap();
        store
            .job_finished("poll", utc("2026-05-01T09:00:01Z"), None)
            .await
            .unwrap();
        let clock = ManualClock::new(utc("2026-05-01T10:07:00Z"));
        let mut sched = Scheduler::new(Arc::new(clock.clone()), Some(store.clone()))
            .with_tick(Duration::from_millis(2));
        let stats = sched.add(Job {
            name: "poll".into(),
            spec: CronSpec::parse("poll", "*/15 * * * *", "Europe/Stockholm").unwrap(),
            run: job_fn(|| async { Ok::<(), std::io::Error>(()) }),
        });
        let (tx, rx) = watch::channel(false);
        let handle = tokio::spawn(sched.run(rx));
        wait_for(|| stats.runs.load(Ordering::SeqCst) == 1).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(
            stats.runs.load(Ordering::SeqCst),
            1,
            "exactly one catch-up run"
        );
        clock.set(utc("2026-05-01T10:15:00Z"));
        wait_for(|| stats.runs.load(Ordering::SeqCst) == 2).await;
        tx.send(true).unwrap();
        handle.await.unwrap();

        // A job that is not behind does not run at start.
        let clock2 = ManualClock::new(utc("2026-05-01T10:20:00Z"));
        let mut sched2 = Scheduler::new(Arc::new(clock2), Some(store.clone()))
            .with_tick(Duration::from_millis(2));
        let stats2 = sched2.add(Job {
            name: "poll".into(),
            spec: CronSpec::parse("poll", "*/15 * * * *", "Europe/Stockholm").unwrap(),
            run: job_fn(|| async { Ok::<(), std::io::Error>(()) }),
        });
        let (tx2, rx2) = watch::channel(false);
        let h2 = tokio::spawn(sched2.run(rx2));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(stats2.runs.load(Ordering::SeqCst), 0);
        tx2.send(true).unwrap();
        h2.await.unwrap();
    }
}
