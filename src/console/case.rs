//! `GET /console/case/{id}`: one case. Its content (creditor, debtors masked per role, claims and amounts), the
//! issues found at intake (field, rule, value, what to do), why and by whom it is held, a timeline of every event
//! with its source (state changes with who moved it, the files it travelled in with löpnummer and tx.id, the
//! kvittens with felkod and advice from [`crate::formats::felkod::advice`], notes), and the files. Operators and
//! admins get the actions, each a form with the session's anti-forgery token: hold (with a reason), release a held
//! case to the journal (both through [`crate::engine::journal`], i.e. the one transition table and
//! [`crate::store::moves`]), and add a note (kept with who and when, shown in the timeline).

use super::{check_csrf, failed, format, html, message, require, viewer, Chrome};
use crate::api::auth::{Caller, MaybeCaller};
use crate::api::AppState;
use crate::domain::case::InterestKind;
use crate::domain::state::{Cause, Transition};
use crate::domain::{CaseState, FileState};
use crate::engine::journal;
use crate::formats::felkod::{advice, Felkoder};
use crate::store::{CaseRow, Permission, StoreError};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

/// Longest note or hold reason, in characters.
pub const MAX_TEXT: usize = 2000;

/// A labelled value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Label.
    pub label: &'static str,
    /// Value.
    pub value: String,
}

/// A debtor as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtorView {
    /// Name (masked for roles without personal numbers).
    pub name: String,
    /// Identity number (masked likewise).
    pub id: String,
    /// Address (empty when masked).
    pub address: String,
}

/// A claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    /// Claim kind.
    pub kind: String,
    /// Invoice number.
    pub invoice: String,
    /// Due date.
    pub due: String,
    /// Amount.
    pub amount: String,
    /// Interest (rate and from when).
    pub interest: String,
    /// Costs and accrued interest.
    pub extra: String,
}

/// An intake issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueView {
    /// `error` or `warning`.
    pub severity: String,
    /// The field's path.
    pub field: String,
    /// The rule broken.
    pub rule: String,
    /// The value as given.
    pub value: String,
    /// What it means and what to do.
    pub message: String,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sort key (RFC 3339).
    sort: String,
    /// When (Stockholm).
    pub at: String,
    /// What happened.
    pub what: String,
    /// Details (reason, felkod and text, note).
    pub detail: String,
    /// What to do, for a rejection.
    pub advice: String,
    /// Where it came from (file and löpnummer, kvittens, console).
    pub source: String,
    /// Who.
    pub who: String,
}

/// A file the case travelled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// File id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Löpnummer.
    pub lopnummer: i64,
    /// State.
    pub state: String,
    /// tx.id.
    pub tx_id: String,
    /// Sent (Stockholm).
    pub sent: String,
    /// Kvittens status.
    pub kvittens: String,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    c: Chrome,
    id: i64,
    reference: String,
    state: String,
    facts: Vec<Fact>,
    held: Option<String>,
    creditor: String,
    debtors: Vec<DebtorView>,
    claims: Vec<ClaimView>,
    total: String,
    issues: Vec<IssueView>,
    timeline: Vec<Entry>,
    files: Vec<FileView>,
    can_act: bool,
    can_hold: bool,
    can_release: bool,
    life: super::case_life::LifeView,
}

/// `GET /console/case/{id}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return message(&caller, StatusCode::NOT_FOUND, "No such case.");
    };
    let row = match state.store.case_by_id(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return message(&caller, StatusCode::NOT_FOUND, "No such case."),
        Err(e) => return failed(&caller, "case", &e),
    };
    match build(&state, &caller, row).await {
        Ok(p) => html(&p),
        Err(e) => failed(&caller, "case", &e),
    }
}

fn can(cause: Cause, to: CaseState, from: CaseState) -> bool {
    Transition::find(cause, to).is_some_and(|t| t.from.contains(&from))
}

async fn build(state: &AppState, caller: &Caller, row: CaseRow) -> Result<CasePage, StoreError> {
    let case = row.case()?;
    let events = state.store.case_events(row.id).await?;
    let notes = state.store.case_notes(row.id).await?;
    let files = state.store.files_of_case(row.id).await?;
    let info = state.store.case_file_info_for(&[row.id]).await?;
    let felkoder = Felkoder::embedded();
    let mut facts = vec![
        Fact {
            label: "Kind",
            value: row.kind.clone(),
        },
        Fact {
            label: "State",
            value: row.state.to_string(),
        },
        Fact {
            label: "Intressentkod",
            value: row.intressentkod.clone(),
        },
        Fact {
            label: "Målnummer",
            value: row.malnummer.clone().unwrap_or_default(),
        },
        Fact {
            label: "Received",
            value: format::stored_time(Some(&row.created_at)),
        },
        Fact {
            label: "Last change",
            value: format::stored_time(Some(&row.updated_at)),
        },
    ];
    if let Some(c) = &row.concerns {
        facts.push(Fact {
            label: "Concerns case",
            value: c.clone(),
        });
    }
    if let Some(s) = &row.source {
        let line = row
            .source_line
            .map(|l| format!(", line {l}"))
            .unwrap_or_default();
        facts.push(Fact {
            label: "Source",
            value: format!("{s}{line}"),
        });
    }
    let full = caller.token.role.allows(Permission::PersonalNumbers);
    let (creditor, debtors, claims, total) = match &case {
        Some(c) => {
            if let Some(n) = &c.customer_number {
                facts.push(Fact {
                    label: "Customer number",
                    value: n.clone(),
                });
            }
            let creditor = c
                .creditor
                .as_ref()
                .map(|p| format!("{} ({})", p.name, super::id_text(&p.id.digits)))
                .unwrap_or_default();
            let debtors = c
                .debtors
                .iter()
                .map(|d| DebtorView {
                    name: if full || d.is_business() {
                        d.name.clone()
                    } else {
                        crate::mask::mask_name(&d.name)
                    },
                    id: d
                        .id
                        .as_ref()
                        .map(|i| super::party_id(caller, i))
                        .unwrap_or_default(),
                    address: if full {
                        [&d.care_of, &d.street, &d.postal_code, &d.city]
                            .iter()
                            .filter_map(|p| p.as_deref())
                            .collect::<Vec<_>>()
                            .join(", ")
                    } else {
                        String::new()
                    },
                })
                .collect();
            let claims = c
                .claims
                .iter()
                .map(|cl| ClaimView {
                    kind: cl.kind.as_str().to_string(),
                    invoice: cl.invoice_number.clone().unwrap_or_default(),
                    due: cl.due_date.map(|d| d.to_string()).unwrap_or_default(),
                    amount: format::amount(cl.amount.ore()),
                    interest: cl
                        .interest
                        .as_ref()
                        .map(|i| {
                            let base = match i.kind {
                                InterestKind::ReferencePlus => "referensränta + ",
                                InterestKind::Fixed => "",
                            };
                            format!(
                                "{base}{},{:02}\u{a0}% from {}",
                                i.rate_bp / 100,
                                i.rate_bp % 100,
                                i.from
                            )
                        })
                        .unwrap_or_default(),
                    extra: [
                        cl.accrued_interest
                            .map(|a| format!("interest {}", format::amount(a.ore()))),
                        cl.costs
                            .map(|a| format!("costs {}", format::amount(a.ore()))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
                })
                .collect();
            (
                creditor,
                debtors,
                claims,
                format::amount(c.total_amount().ore()),
            )
        }
        None => (String::new(), Vec::new(), Vec::new(), String::new()),
    };
    let issues = row
        .issues()?
        .into_iter()
        .map(|i| IssueView {
            severity: i.severity.as_str().to_string(),
            field: i.path,
            rule: i.rule,
            value: i.value.unwrap_or_default(),
            message: i.message,
        })
        .collect();
    let mut timeline: Vec<Entry> = Vec::new();
    for e in &events {
        let what = match e.from_state {
            None => format!("Received as {}", e.to_state),
            Some(f) => format!("{f} → {}", e.to_state),
        };
        // A move made by a Kronofogden message names it in its reason; the creation names the input.
        let (message_source, detail) =
            super::case_life::split_source(e.reason.as_deref().unwrap_or_default());
        let source = match &row.source {
            Some(s) if e.from_state.is_none() => s.clone(),
            _ => message_source,
        };
        timeline.push(Entry {
            sort: e.at.clone(),
            at: format::stored_time(Some(&e.at)),
            what,
            detail,
            advice: String::new(),
            source,
            who: e.actor.clone(),
        });
    }
    for n in &notes {
        timeline.push(Entry {
            sort: n.at.text(),
            at: format::time(n.at.0),
            what: "Note".into(),
            detail: n.text.clone(),
            advice: String::new(),
            source: "console".into(),
            who: n.actor.clone(),
        });
    }
    // What Kronofogden reported into the ledger (paid out, fees, remaining), each with its message.
    for r in state.store.ledger_entries(row.id).await? {
        timeline.push(Entry {
            sort: r.at.clone(),
            at: r.at.clone(),
            what: format!("Ledger: {}", r.kind.replace('_', " ")),
            detail: format::amount(r.amount_ore),
            advice: String::new(),
            source: r.source,
            who: "Kronofogden".into(),
        });
    }
    let life = super::case_life::life_of(state, &row).await?;
    let rejection = info
        .first()
        .map(|i| i.rejections())
        .transpose()?
        .flatten()
        .unwrap_or_default();
    for f in &files {
        let source = format!("{} (löpnummer {})", f.file_name, f.lopnummer);
        timeline.push(Entry {
            sort: f.created_at.clone(),
            at: format::stored_time(Some(&f.created_at)),
            what: "Put in a file".into(),
            detail: format!("file {} with {} case(s)", f.id, f.case_count),
            advice: String::new(),
            source: source.clone(),
            who: String::new(),
        });
        if let Some(sent) = &f.sent_at {
            timeline.push(Entry {
                sort: sent.clone(),
                at: format::stored_time(Some(sent)),
                what: "File sent over SHS".into(),
                detail: format!("tx.id {}, attempt(s) {}", f.tx_id, f.attempts),
                advice: String::new(),
                source: source.clone(),
                who: String::new(),
            });
        }
        if let (Some(at), Some(status)) = (&f.receipted_at, f.kvittens_status) {
            let errors = f.kvittens_errors()?;
            let mine: Vec<String> = errors
                .iter()
                .filter(|e| e.reference.is_none() || e.reference.as_deref() == Some(&row.reference))
                .map(|e| format!("{} {}", e.felkod, e.feltext))
                .collect();
            let mut detail = status.words().to_string();
            let mut what_to_do = String::new();
            let codes: Vec<&str> = errors
                .iter()
                .filter(|e| e.reference.is_none())
                .map(|e| e.felkod.as_str())
                .chain(rejection.iter().map(|r| r.felkod.as_str()))
                .collect();
            if !mine.is_empty() || !rejection.is_empty() {
                let text: Vec<String> = if rejection.is_empty() {
                    mine
                } else {
                    rejection
                        .iter()
                        .map(|r| format!("{} {}", r.felkod, r.feltext))
                        .collect()
                };
                detail = format!("{detail}: {}", text.join("; "));
                what_to_do = advice(&felkoder.lookup(codes)).to_string();
            }
            timeline.push(Entry {
                sort: at.clone(),
                at: format::stored_time(Some(at)),
                what: "Kvittens".into(),
                detail,
                advice: what_to_do,
                source: format!("kvittens for {source}"),
                who: String::new(),
            });
        }
    }
    timeline.sort_by(|a, b| a.sort.cmp(&b.sort));
    let held = (row.state == CaseState::Held).then(|| {
        let by = events
            .iter()
            .rev()
            .find(|e| e.to_state == CaseState::Held)
            .map(|e| {
                format!(
                    " (held by {} at {})",
                    e.actor,
                    format::stored_time(Some(&e.at))
                )
            })
            .unwrap_or_default();
        format!("{}{by}", row.hold_reason.clone().unwrap_or_default())
    });
    let files = files
        .iter()
        .map(|f| FileView {
            id: f.id,
            name: f.file_name.clone(),
            lopnummer: f.lopnummer,
            state: f.state.to_string(),
            tx_id: f.tx_id.clone(),
            sent: format::stored_time(f.sent_at.as_deref()),
            kvittens: f
                .kvittens_status
                .map(|k| k.words().to_string())
                .unwrap_or_else(|| {
                    if f.state == FileState::Sent {
                        "waiting".into()
                    } else {
                        String::new()
                    }
                }),
        })
        .collect();
    Ok(CasePage {
        c: Chrome::new(caller, format!("Case {}", row.reference), "cases"),
        id: row.id,
        reference: row.reference.clone(),
        state: row.state.to_string(),
        facts,
        held,
        creditor,
        debtors,
        claims,
        total,
        issues,
        timeline,
        files,
        can_act: caller.token.role.allows(Permission::Approve),
        can_hold: can(Cause::Hold, CaseState::Held, row.state),
        can_release: can(Cause::Release, CaseState::Journal, row.state),
        life,
    })
}

/// The hold form.
#[derive(Debug, Deserialize)]
pub struct HoldForm {
    /// Anti-forgery token.
    #[serde(default)]
    pub csrf: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// The release form.
#[derive(Debug, Deserialize)]
pub struct ReleaseForm {
    /// Anti-forgery token.
    #[serde(default)]
    pub csrf: String,
}

/// The note form.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    /// Anti-forgery token.
    #[serde(default)]
    pub csrf: String,
    /// The note.
    #[serde(default)]
    pub text: String,
}

/// The caller, its case id, and the check that it may act with this form; or the answer.
pub(super) fn acting(
    caller: Option<Caller>,
    id: &str,
    csrf: &str,
) -> Result<(Caller, i64), Response> {
    let caller = viewer(caller)?;
    require(&caller, Permission::Approve)?;
    check_csrf(&caller, csrf)?;
    let id = id
        .parse::<i64>()
        .map_err(|_| message(&caller, StatusCode::NOT_FOUND, "No such case."))?;
    Ok((caller, id))
}

/// A text field's value, or the answer saying what is wrong with it.
pub(super) fn text_field(caller: &Caller, field: &str, text: &str) -> Result<String, Response> {
    let t = text.trim();
    if t.is_empty() {
        return Err(message(
            caller,
            StatusCode::BAD_REQUEST,
            &format!("{field}: write something (it is required)."),
        ));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(message(
            caller,
            StatusCode::BAD_REQUEST,
            &format!("{field}: at most {MAX_TEXT} characters."),
        ));
    }
    Ok(t.to_string())
}

/// The answer to a journal action: back to the case, or what stopped it.
fn after(
    caller: &Caller,
    id: i64,
    r: Result<journal::JournalReport, crate::engine::EngineError>,
) -> Response {
    match r {
        Ok(rep) if rep.changed.is_empty() => {
            let why = rep
                .skipped
                .first()
                .map(|s| s.reason.clone())
                .unwrap_or_default();
            message(
                caller,
                StatusCode::CONFLICT,
                &format!("Nothing changed: {why}."),
            )
        }
        Ok(_) => Redirect::to(&format!("/console/case/{id}")).into_response(),
        Err(e) => failed(caller, "case action", &e),
    }
}

/// `POST /console/case/{id}/hold`.
pub async fn hold(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<HoldForm>,
) -> Response {
    let (caller, id) = match acting(caller, &id, &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let reason = match text_field(&caller, "reason", &f.reason) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let r = journal::hold_case(
        &state.store,
        id,
        &reason,
        &caller.actor(),
        state.clock.as_ref(),
    )
    .await;
    after(&caller, id, r)
}

/// `POST /console/case/{id}/release`.
pub async fn release(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<ReleaseForm>,
) -> Response {
    let (caller, id) = match acting(caller, &id, &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = journal::release_case(&state.store, id, &caller.actor(), state.clock.as_ref()).await;
    after(&caller, id, r)
}

/// `POST /console/case/{id}/note`.
pub async fn note(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let (caller, id) = match acting(caller, &id, &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let text = match text_field(&caller, "note", &f.text) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match state.store.case_by_id(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return message(&caller, StatusCode::NOT_FOUND, "No such case."),
        Err(e) => return failed(&caller, "note", &e),
    }
    let actor = caller.actor();
    match state
        .store
        .add_case_note(id, &actor, state.clock.now(), &text)
        .await
    {
        Ok(_) => {
            tracing::info!(case = id, actor = %actor, "note added");
            Redirect::to(&format!("/console/case/{id}")).into_response()
        }
        Err(e) => failed(&caller, "note", &e),
    }
}
