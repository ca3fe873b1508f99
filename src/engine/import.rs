//! Intake: records in, validated, stored idempotently in batches; a summary and every problem out (intake.md §3–4).
//!
//! States: a case with errors is `invalid` (kept, with all its issues, when it has a reference to key it by), one
//! with only warnings is `held` for review, the rest go to the `journal`. "Same content" (idempotency) means the
//! same input JSON (after CSV rows are assembled) and the same read problems; the validation result is not part of
//! it, so re-importing an unchanged file is a no-op even on a later day.

use super::EngineError;
use crate::clock::Clock;
use crate::domain::intake::{HashedKeys, SourceRecord};
use crate::domain::validate::{validate, Issue, Severity, ValidationContext};
use crate::domain::{CaseKind, CaseState};
use crate::store::{keys_of, NewCase, Store, UpsertOutcome, WriteSession};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Cases per store transaction.
pub const DEFAULT_BATCH: usize = 5000;

/// Counts of an import (the summary object of intake.md §4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Cases read.
    pub read: u64,
    /// New or replaced cases now in the journal.
    pub accepted: u64,
    /// Cases with errors.
    pub invalid: u64,
    /// Cases held for review (warnings).
    pub held: u64,
    /// Cases already stored with the same content (and not invalid or held: those count there).
    pub unchanged: u64,
    /// Cases with new content for a case already sent (refused).
    pub refused: u64,
}

/// One problem, as printed by `fogd import --format json` (intake.md §4). Personal numbers are shown unmasked: the
/// operator needs them to correct the source. Never log these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The source file name.
    pub source: String,
    /// 1-based line.
    pub line: usize,
    /// The case reference, if known.
    pub reference: Option<String>,
    /// CSV column or JSON path.
    pub field: String,
    /// The rule broken.
    pub rule: String,
    /// The offending value.
    pub value: Option<String>,
    /// A sentence for the operator.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Counts.
    pub summary: ImportSummary,
    /// Every problem, in input order per batch.
    pub problems: Vec<Problem>,
    /// Unchanged cases that are still invalid or held (they keep the exit code at 3).
    pub unchanged_with_problems: u64,
    /// Of those, the ones still held (counted in `summary.held` too).
    pub unchanged_held: u64,
}

impl ImportOutcome {
    /// True when every case was accepted or unchanged without problems (exit 0).
    pub fn all_accepted(&self) -> bool {
        let s = &self.summary;
        s.invalid == 0 && s.held == 0 && s.refused == 0 && self.unchanged_with_problems == 0
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The source name shown in problems and stored with the case (file name, or `api`).
    pub source: String,
    /// Validate only; store nothing (then nothing is "unchanged" either).
    pub dry_run: bool,
    /// Who, for the audit trail (`import`, `api:<token>`).
    pub actor: String,
    /// Cases per transaction.
    pub batch_size: usize,
    /// Store invalid cases (true for files and the API: the agency corrects the source and imports again). False
    /// for an operator's own request (a begäran): one fogd refuses is answered with the reasons and not kept as an
    /// invalid case for someone to clear up.
    pub keep_invalid: bool,
}

impl ImportOptions {
    /// Options for a file import.
    pub fn file(source: &str) -> Self {
        ImportOptions {
            source: source.to_string(),
            dry_run: false,
            actor: "import".into(),
            batch_size: DEFAULT_BATCH,
            keep_invalid: true,
        }
    }
}

/// What the store does not need of a prepared case: its state as counted and its problems. Kept in a vector
/// parallel to the [`NewCase`]s, so that the batch can be handed to the store as a slice without a copy.
pub(super) struct Assessed {
    pub(super) state: CaseState,
    pub(super) problems: Vec<Problem>,
}

/// Imports `records`: validates each, stores them in batches (unless `dry_run`), and reports. `progress` is called
/// with the number of records handled so far after each batch; it is `Send` so that the import future is `Send`
/// (the API's handler awaits it on a multi-threaded runtime).
///
/// A pipeline over the machine's cores: this task reads the records (CSV/JSON parsing) and hands them in chunks to
/// validation threads ([`prepare`] on blocking threads, one per core, each with its own copies of `ctx` and
/// `opts`), whose results come back to this task, in input order, to be cut into batches; a writer task of its own
/// (spawned, with a clone of the store) stores the batches (SQLite works on its own thread, PostgreSQL on the
/// server). The writer is a task of its own so that each answer from the database is taken up at once, not when
/// this task next stops reading: joined on one task, the database thread sat idle a third of the time. Every
/// channel between the stages is bounded, so memory stays bounded, and the problems come out in the same order as
/// when each batch was written before the next was read.
pub async fn import(
    store: Option<&Store>,
    records: impl Iterator<Item = SourceRecord>,
    ctx: &ValidationContext,
    opts: &ImportOptions,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ImportOutcome, EngineError> {
    let store = if opts.dry_run { None } else { store };
    // One validation thread per core (at most `MAX_VALIDATORS`); chunk `i` goes to thread `i % n` and its result is
    // taken from that thread's output in the same turn, so the order of the input is kept.
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, MAX_VALIDATORS);
    let mut to_validate = Vec::with_capacity(threads);
    let mut validated = Vec::with_capacity(threads);
    let mut validators = Vec::with_capacity(threads);
    for _ in 0..threads {
        let (input_tx, mut input_rx) =
            tokio::sync::mpsc::channel::<Vec<SourceRecord>>(VALIDATE_QUEUE);
        let (output_tx, output_rx) = tokio::sync::mpsc::channel::<Vec<Prepared>>(VALIDATE_QUEUE);
        let ctx = ctx.clone();
        let opts = opts.clone();
        validators.push(tokio::task::spawn_blocking(move || {
            while let Some(chunk) = input_rx.blocking_recv() {
                let out: Vec<Prepared> =
                    chunk.iter().map(|rec| prepare(rec, &ctx, &opts)).collect();
                if output_tx.blocking_send(out).is_err() {
                    break; // the batching half stopped (an error); it reports it
                }
            }
        }));
        to_validate.push(input_tx);
        validated.push(output_rx);
    }
    let read_half = async move {
        let mut read = 0u64;
        let mut sent = 0usize;
        let mut chunk = Vec::with_capacity(VALIDATE_CHUNK);
        for rec in records {
            read += 1;
            chunk.push(rec);
            if chunk.len() >= VALIDATE_CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(VALIDATE_CHUNK));
                let Some(input) = to_validate.get(sent % threads) else {
                    return read;
                };
                if input.send(full).await.is_err() {
                    return read; // a later stage failed; its error is returned
                }
                sent += 1;
            }
            if read % READ_YIELD == 0 {
                // Let the batching half take up validated chunks, so that the validation threads do not wait
                // for room in their output queues while this task reads.
                tokio::task::yield_now().await;
            }
        }
        if !chunk.is_empty() {
            if let Some(input) = to_validate.get(sent % threads) {
                let _ = input.send(chunk).await;
            }
        }
        read
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<BatchHandoff>(1);
    // True while the writer waits for a batch: then a batch of at least `eager` cases is handed over at once
    // instead of growing to `batch_size` (see `EAGER_SHARE`).
    let writer_idle = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let eager = (opts.batch_size / EAGER_SHARE).max(1);
    let idle = writer_idle.clone();
    let batch_half = async move {
        let mut handled = 0u64;
        let mut step = BatchHandoff::default();
        // The keys in the batch, hashed: a batch must not hold a key twice. Two keys sharing a hash only cut a
        // batch early.
        let key_seed =
            std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8);
        let mut keys: HashSet<u64, HashedKeys> = HashSet::default();
        let mut turn = 0usize;
        // Chunk `turn` comes from thread `turn % threads`; when that thread's output ends, every chunk sent has
        // been taken (the chunks before it came from the other threads, in their turns).
        while let Some(chunk) = match validated.get_mut(turn % threads) {
            Some(output) => output.recv().await,
            None => None,
        } {
            turn += 1;
            for prepared in chunk {
                handled += 1;
                let (pending, problems, state) = prepared?;
                let new = match pending {
                    // Not storable (no reference), or a dry run: report only.
                    None => {
                        step.report.push((CaseState::Invalid, problems));
                        continue;
                    }
                    Some(_) if store.is_none() => {
                        step.report.push((state, problems));
                        continue;
                    }
                    Some(new) => new,
                };
                // The reference alone: cases of another kind or intressentkod with the same reference only
                // cut a batch early too.
                let key = reference_hash(key_seed, &new.reference);
                let full = step.news.len() >= opts.batch_size.max(1)
                    || (step.news.len() >= eager
                        && idle.load(std::sync::atomic::Ordering::Relaxed));
                if keys.contains(&key) || full {
                    step.now = clock.now();
                    if tx.send(std::mem::take(&mut step)).await.is_err() {
                        return Ok(()); // the writer failed; its error is returned
                    }
                    keys.clear();
                    progress(handled - 1);
                }
                keys.insert(key);
                step.news.push(new);
                step.batch.push(Assessed { state, problems });
            }
        }
        step.now = clock.now();
        let _ = tx.send(step).await;
        progress(handled);
        Ok::<(), EngineError>(())
    };
    let writer = {
        let store = store.cloned();
        let opts = opts.clone();
        let today = ctx.today;
        tokio::spawn(async move {
            let mut out = ImportOutcome::default();
            // One connection for all batches, taken at the first (see `WriteSession`).
            let mut session: Option<WriteSession> = None;
            loop {
                writer_idle.store(true, std::sync::atomic::Ordering::Relaxed);
                let Some(mut step) = rx.recv().await else {
                    break;
                };
                writer_idle.store(false, std::sync::atomic::Ordering::Relaxed);
                for (state, problems) in step.report.drain(..) {
                    count_state(&mut out.summary, state);
                    out.problems.extend(problems);
                }
                flush(
                    store.as_ref(),
                    &mut session,
                    &mut step,
                    &mut out,
                    &opts,
                    today,
                )
                .await?;
            }
            Ok::<ImportOutcome, EngineError>(out)
        })
    };
    let (read, batched) = tokio::join!(read_half, batch_half);
    // The batching half has ended and dropped its sender, so the writer ends too.
    let out = match writer.await {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => return Err(EngineError::Cancelled("the import's writer task")),
    };
    // The validators have ended: their input closed when the read half finished or a later stage dropped their output.
    // `prepare` does not panic on any input; should it all the same, the panic goes on here, as it would have
    // when validation ran on this task.
    for validator in validators {
        if let Err(e) = validator.await {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
    batched?;
    let mut out = out?;
    out.summary.read = read;
    Ok(out)
}

/// While the writer waits for work, a batch of `batch_size / EAGER_SHARE` cases or more is handed to it at once
/// rather than when full. Otherwise the database sat idle while a batch filled up, and at the end of the input it
/// still had the last full batches to write, alone: the last tenth of an import's time used one core.
const EAGER_SHARE: usize = 5;
/// Records per chunk handed to the validation thread of [`import`] (small enough to keep the stages in step).
const VALIDATE_CHUNK: usize = 256;
/// Records [`import`]'s read half reads between two chances for the batching half to go on.
const READ_YIELD: u64 = 32;
/// At most this many validation threads for one import.
const MAX_VALIDATORS: usize = 4;
/// Chunks waiting in each direction between [`import`]'s task and each validation thread.
const VALIDATE_QUEUE: usize = 4;

thread_local! {
    /// [`prepare`]'s buffer for a case's JSON, kept by each validation thread from case to case.
    static JSON_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(4096));
}

/// Runs `f` with this thread's [`JSON_BUFFER`] (or a new buffer, should it be in use).
fn with_json_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    JSON_BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut Vec::new()),
    })
}

/// A batch key: FNV-1a over the reference from a random start (`seed`). Cheaper than SipHash on one case after
/// another, and good enough here: two references with the same key only cut a batch early.
fn reference_hash(seed: u64, reference: &str) -> u64 {
    reference.bytes().fold(seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `bytes` in lower-case hex, as `hex::encode` writes them, without its per-character iterator (a content hash
/// per case: 2 % of an import's samples in perf).
fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// What [`prepare`] makes of one record.
type Prepared = Result<(Option<NewCase>, Vec<Problem>, CaseState), EngineError>;

/// What the batching half of [`import`] hands to the writing half: the problems and states of records that are only
/// reported (no reference, or a dry run), in input order, then a batch to store.
#[derive(Default)]
struct BatchHandoff {
    report: Vec<(CaseState, Vec<Problem>)>,
    news: Vec<NewCase>,
    batch: Vec<Assessed>,
    /// When the batch was cut (its cases' creation time).
    now: chrono::DateTime<chrono::Utc>,
}

fn count_state(s: &mut ImportSummary, state: CaseState) {
    match state {
        CaseState::Invalid => s.invalid += 1,
        CaseState::Held => s.held += 1,
        _ => s.accepted += 1,
    }
}

/// Stores the batch of `step` (its cases' creation time `step.now`); `today` for the follow-up checks.
async fn flush(
    store: Option<&Store>,
    session: &mut Option<WriteSession>,
    step: &mut BatchHandoff,
    out: &mut ImportOutcome,
    opts: &ImportOptions,
    today: chrono::NaiveDate,
) -> Result<(), EngineError> {
    let now = step.now;
    let news = &mut step.news;
    let batch = &mut step.batch;
    let Some(store) = store else {
        news.clear();
        batch.clear();
        return Ok(());
    };
    if batch.is_empty() {
        return Ok(());
    }
    if news.iter().any(is_follow_up) {
        // The follow-up check reads through the pool: give the held connection back first, so that a pool of
        // one connection cannot wait on itself.
        *session = None;
        super::follow_ups::check_follow_ups(store, news, batch, opts, today).await?;
    }
    if !opts.keep_invalid {
        let (kept_news, kept_batch): (Vec<_>, Vec<_>) = std::mem::take(news)
            .into_iter()
            .zip(std::mem::take(batch))
            .filter_map(|(new, p)| {
                if p.state == CaseState::Invalid {
                    out.summary.invalid += 1;
                    out.problems.extend(p.problems);
                    None
                } else {
                    Some((new, p))
                }
            })
            .unzip();
        *news = kept_news;
        *batch = kept_batch;
        if batch.is_empty() {
            return Ok(());
        }
    }
    let session = match session {
        Some(s) => s,
        None => session.insert(store.write_session().await?),
    };
    let outcomes = store
        .upsert_cases_in(session, news, &opts.actor, now)
        .await?;
    for ((new, p), o) in news.iter().zip(batch.drain(..)).zip(outcomes) {
        match o {
            UpsertOutcome::Inserted { .. } | UpsertOutcome::Replaced { .. } => {
                count_state(&mut out.summary, p.state);
                out.problems.extend(p.problems);
            }
            UpsertOutcome::Unchanged { state, .. } => {
                // A case stored before that is still invalid or held is counted as such (the errors printed
                // above it and the exit code say so); `unchanged` counts the rest.
                match state {
                    CaseState::Invalid => out.summary.invalid += 1,
                    CaseState::Held => out.summary.held += 1,
                    _ => out.summary.unchanged += 1,
                }
                if matches!(state, CaseState::Invalid | CaseState::Held) {
                    out.unchanged_with_problems += 1;
                }
                if state == CaseState::Held {
                    out.unchanged_held += 1;
                }
                out.problems.extend(p.problems);
            }
            UpsertOutcome::Refused { state, .. } => {
                out.summary.refused += 1;
                out.problems.push(Problem {
                    severity: Severity::Error,
                    source: opts.source.clone(),
                    line: new.source_line.unwrap_or(0) as usize,
                    reference: Some(new.reference.clone()),
                    field: "reference".into(),
                    rule: "case.refused".into(),
                    value: Some(new.reference.clone()),
                    message: format!(
                        "case {} is already {state} and cannot be replaced; correct it with a nedsattning, aterkallelse or verkstallighet_andring",
                        new.reference
                    ),
                });
            }
        }
    }
    // The stored cases are freed on a blocking thread: thousands of strings per batch, and this task is the one
    // the next batch waits for.
    let stored = std::mem::take(news);
    tokio::task::spawn_blocking(move || drop(stored));
    Ok(())
}

/// True for a nedsättning, återkallelse or ändring (a case that concerns another).
pub(super) fn is_follow_up(n: &NewCase) -> bool {
    CaseKind::parse(&n.kind).is_some_and(CaseKind::is_follow_up)
}

/// Validates one record and prepares what to store: `(case to store, problems, state)`. A record without a
/// reference cannot be stored (there is nothing to key it by) and is only reported.
pub fn prepare(
    rec: &SourceRecord,
    ctx: &ValidationContext,
    opts: &ImportOptions,
) -> Result<(Option<NewCase>, Vec<Problem>, CaseState), EngineError> {
    let reference = rec.reference().map(str::to_string);
    let mut problems: Vec<Problem> = rec
        .read_issues
        .iter()
        .map(|ri| Problem {
            severity: Severity::Error,
            source: opts.source.clone(),
            line: ri.line,
            reference: reference.clone(),
            field: ri.field.clone(),
            rule: ri.rule.clone(),
            value: ri.value.clone(),
            message: ri.message.clone(),
        })
        .collect();
    let mut issues: Vec<Issue> = rec
        .read_issues
        .iter()
        .map(|ri| Issue {
            severity: Severity::Error,
            path: ri.field.clone(),
            field: ri.field.clone(),
            rule: ri.rule.clone(),
            value: ri.value.clone(),
            message: format!("line {}: {}", ri.line, ri.message),
        })
        .collect();
    let Some(input) = &rec.input else {
        return Ok((None, problems, CaseState::Invalid));
    };
    let validation = validate(input, ctx);
    for issue in &validation.issues {
        let (line, field) = rec.locate(&issue.path);
        problems.push(Problem {
            severity: issue.severity,
            source: opts.source.clone(),
            line,
            reference: reference.clone(),
            field,
            rule: issue.rule.clone(),
            value: issue.value.clone(),
            message: issue.message.clone(),
        });
    }
    issues.extend(validation.issues.iter().cloned());
    let case = if rec.read_issues.is_empty() {
        validation.case.as_ref()
    } else {
        None
    };
    let state = match case {
        None => CaseState::Invalid,
        Some(_) if validation.has_warnings() => CaseState::Held,
        Some(_) => CaseState::Journal,
    };
    if state == CaseState::Invalid {
        bound_invalid(&mut problems, &mut issues);
    }
    let Some(reference) = reference else {
        return Ok((None, problems, state));
    };
    let reference = if state == CaseState::Invalid {
        stored_reference(&reference)
    } else {
        reference
    };
    let ser =
        |what: &'static str, source: serde_json::Error| EngineError::Serialise { what, source };
    // "Same content" is decided over the input JSON, but the input is stored only when there is no validated case
    // (see `NewCase::input_json`): serialised for the hash either way, into a buffer each validation thread keeps
    // from case to case.
    let hash_input = |buf: &mut Vec<u8>| -> Result<(String, String), EngineError> {
        buf.clear();
        serde_json::to_writer(&mut *buf, input).map_err(|e| ser("input", e))?;
        let mut hasher = Sha256::new();
        hasher.update(&*buf);
        for ri in &rec.read_issues {
            hasher.update(format!("\n{}:{}", ri.rule, ri.field).as_bytes());
        }
        let input_json = if case.is_some() {
            String::new()
        } else {
            String::from_utf8(buf.clone())
                .map_err(|e| ser("input", serde::ser::Error::custom(e.to_string())))?
        };
        Ok((hex_lower(&hasher.finalize()), input_json))
    };
    let (content_hash, mut input_json) = with_json_buffer(hash_input)?;
    let input_omitted = input_json.len() > MAX_STORED_INPUT_BYTES;
    if input_omitted {
        input_json = serde_json::json!({ "input_omitted_bytes": input_json.len() }).to_string();
    }
    // Written into the same buffer and copied out at its size (a buffer of 1 KB per case held more memory than the
    // JSON needs: peak RSS of the 100,000-case benchmark 107 -> 91-99 MB).
    let case_json = case
        .map(|c| {
            with_json_buffer(|buf| {
                buf.clear();
                serde_json::to_writer(&mut *buf, c)?;
                String::from_utf8(buf.clone()).map_err(|e| serde::ser::Error::custom(e.to_string()))
            })
        })
        .transpose()
        .map_err(|e: serde_json::Error| ser("case", e))?;
    let issues_json = if issues.is_empty() {
        "[]".to_string()
    } else {
        serde_json::to_string(&issues).map_err(|e| ser("issues", e))?
    };
    let kind = match case {
        Some(c) => c.kind.as_str().to_string(),
        None => input
            .kind
            .as_deref()
            .map(str::trim)
            .and_then(CaseKind::parse)
            .map(|k| k.as_str().to_string())
            .unwrap_or_else(|| input.kind.clone().unwrap_or_default().trim().to_string()),
    };
    let intressentkod = match case {
        Some(c) => c.intressentkod.clone(),
        None => input
            .intressentkod
            .clone()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ctx.default_intressentkod.clone()),
    };
    let hold_reason = (state == CaseState::Held).then(|| {
        validation
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .map(|i| format!("{}: {}", i.rule, i.message))
            .collect::<Vec<_>>()
            .join("; ")
    });
    // The console's search keys from the typed values in hand (the store would otherwise parse the JSON again);
    // an omitted input (too large to keep) has none, as its stored JSON has none.
    let search_keys = match case {
        Some(c) => keys_of(
            c.customer_number.as_deref(),
            c.malnummer.as_deref(),
            c.claims.iter().map(|cl| cl.invoice_number.as_deref()),
        ),
        None if input_omitted => Vec::new(),
        None => keys_of(
            input.customer_number.as_deref(),
            input.malnummer.as_deref(),
            input.claims.iter().map(|cl| cl.invoice_number.as_deref()),
        ),
    };
    let new = NewCase {
        reference,
        kind,
        intressentkod,
        state,
        input_json,
        case_json,
        content_hash,
        issues_json,
        hold_reason,
        concerns: case.and_then(|c| c.concerns.clone()),
        malnummer: case.and_then(|c| c.malnummer.clone()),
        source: Some(opts.source.clone()),
        source_line: Some(rec.line as i64),
        search_keys: Some(search_keys),
        // The debtor search keys likewise, for a validated case (an invalid one has none).
        debtor_keys: Some(case.map_or_else(Vec::new, |c| {
            crate::store::debtor_keys::keys_of_debtors(
                c.debtors
                    .iter()
                    .map(|d| (d.id.as_ref().map(|i| i.digits.as_str()), d.name.as_str())),
            )
        })),
    };
    Ok((Some(new), problems, state))
}

/// Longest reference kept for an invalid case, in characters (a valid one has at most 20, intake.md §1).
pub const MAX_STORED_REFERENCE_CHARS: usize = 64;
/// Longest offending value kept in an issue or problem of an invalid case, in characters.
pub const MAX_STORED_VALUE_CHARS: usize = 200;
/// Largest input kept for an invalid case (a real case's input is a few KB); a larger one is replaced by its size.
pub const MAX_STORED_INPUT_BYTES: usize = 64 * 1024;

/// Control characters written visibly (`\u{1b}`), so that stored text cannot drive a terminal or break a log line.
fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` with control characters escaped, cut to `max` characters (with `…`).
fn bounded(s: &str, max: usize) -> String {
    let clean = escape_controls(s);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The reference an invalid case is stored under: control characters escaped, and one longer than
/// [`MAX_STORED_REFERENCE_CHARS`] cut, with a hash of the whole reference so that different long references stay
/// apart and the same one maps to the same stored case (re-submitting it is still `unchanged`).
pub fn stored_reference(reference: &str) -> String {
    let clean = escape_controls(reference);
    if clean.chars().count() <= MAX_STORED_REFERENCE_CHARS {
        return clean;
    }
    let hash = hex_lower(&Sha256::digest(reference.as_bytes()));
    let head: String = clean
        .chars()
        .take(MAX_STORED_REFERENCE_CHARS - 14)
        .collect();
    format!("{head}…#{}", &hash[..12])
}

/// Bounds what an invalid case's problems and issues carry: offending values cut to
/// [`MAX_STORED_VALUE_CHARS`] with control characters escaped, references as [`stored_reference`].
fn bound_invalid(problems: &mut [Problem], issues: &mut [Issue]) {
    for p in problems {
        if let Some(v) = p.value.as_mut() {
            *v = bounded(v, MAX_STORED_VALUE_CHARS);
        }
        if let Some(r) = p.reference.as_mut() {
            *r = stored_reference(r);
        }
    }
    for i in issues {
        if let Some(v) = i.value.as_mut() {
            *v = bounded(v, MAX_STORED_VALUE_CHARS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_case_text_is_bounded_and_clean() {
        assert_eq!(stored_reference("A-1"), "A-1");
        assert_eq!(stored_reference("A\u{0}\u{1b}[2J"), "A\\u{0}\\u{1b}[2J");
        let long = "R".repeat(10_000_000);
        let s = stored_reference(&long);
        assert_eq!(s.chars().count(), MAX_STORED_REFERENCE_CHARS);
        assert_eq!(s, stored_reference(&long), "deterministic");
        assert_ne!(
            s,
            stored_reference(&format!("{long}x")),
            "long references stay apart"
        );
        assert_eq!(bounded(&"v".repeat(500), 10).chars().count(), 10);
    }

    #[test]
    fn batch_keys_of_numbered_references_do_not_collide() {
        // A collision only cuts a batch early, but references numbered in sequence (the common case) should
        // never do that: 100,000 of them, two seeds.
        for seed in [0, 0x9e37_79b9_7f4a_7c15] {
            let keys: std::collections::HashSet<u64> = (0..100_000)
                .map(|i| reference_hash(seed, &format!("B-{i:08}")))
                .collect();
            assert_eq!(keys.len(), 100_000);
        }
        assert_eq!(reference_hash(7, "A-1"), reference_hash(7, "A-1"));
    }

    proptest::proptest! {
        #[test]
        fn hex_lower_writes_what_hex_encode_writes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            proptest::prop_assert_eq!(hex_lower(&bytes), hex::encode(&bytes));
        }
    }
}
