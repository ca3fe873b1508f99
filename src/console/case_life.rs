//! The case page's part after registration (issue 17 point 3 with the lifecycle of issue 16): the ledger as of
//! today (claimed, nedsättningar, interest to today, fees, paid out, remaining: [`crate::engine::ledger`]), the
//! deadlines fogd tracks, the begäran filed about it, and the operator actions, each a form with the session's
//! anti-forgery token that calls the same engine function as the CLI and the API: request överlämnande or
//! verkställighet ([`crate::engine::request::request_begaran`]) and enter a paper decision with a note
//! ([`crate::engine::paper::record_paper_decision`]). Both are audited by the engine (the events name the
//! operator; the paper decision's note is kept with the case).

use super::case::Fact;
use super::{failed, format, message};
use crate::api::auth::{Caller, MaybeCaller};
use crate::api::AppState;
use crate::domain::case::BegaranRequest;
use crate::domain::state::Transition;
use crate::domain::{CaseKind, CaseState};
use crate::engine::paper::{record_paper_decision, PaperDecision};
use crate::engine::request::{default_reference, request_begaran};
use crate::store::{CaseRow, StoreError};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

/// Every paper decision, in the order the form offers them.
pub const PAPER_DECISIONS: [PaperDecision; 5] = [
    PaperDecision::Utslag,
    PaperDecision::HandedToCourt,
    PaperDecision::WrittenOff,
    PaperDecision::Withdrawn,
    PaperDecision::Closed,
];

/// A tracked deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineView {
    /// What (`overlamnande`, `skuldsanering_filing`, `uppskov_end`).
    pub kind: String,
    /// Due (`YYYY-MM-DD`).
    pub due: String,
    /// What set it.
    pub source: String,
    /// When its alert was raised, if it was.
    pub alerted: String,
}

/// A begäran filed about the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BegaranView {
    /// Its case id.
    pub id: i64,
    /// Its reference.
    pub reference: String,
    /// Its state.
    pub state: String,
}

/// The case's life after registration, as the page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifeView {
    /// The ledger's lines (empty for a case without claims).
    pub ledger: Vec<Fact>,
    /// The date the ledger is computed for, and why interest is unknown when it is.
    pub ledger_note: String,
    /// Deadlines, earliest first.
    pub deadlines: Vec<DeadlineView>,
    /// The begäran filed about it.
    pub requests: Vec<BegaranView>,
    /// The enforcement's målnummer, when the utslag continued into one.
    pub enforcement_malnummer: String,
    /// May an överlämnande be requested (a disputed BFÖ case).
    pub can_request_court: bool,
    /// May verkställighet be requested (a BFÖ case with an utslag).
    pub can_request_enforcement: bool,
    /// The paper decisions the transition table allows from its state: (value, label).
    pub decisions: Vec<(&'static str, String)>,
}

/// A ledger amount, or a dash when unknown.
fn amount_or(a: Option<crate::domain::Amount>, unknown: &str) -> String {
    a.map_or_else(|| unknown.to_string(), |a| format::amount(a.ore()))
}

/// The life of `row` as of today (Stockholm).
pub async fn life_of(state: &AppState, row: &CaseRow) -> Result<LifeView, StoreError> {
    let mut v = LifeView::default();
    let today = format::day_of(state.clock.now());
    // The referensränta table the daemon checked at start (not read per page).
    if let Some(l) =
        crate::engine::ledger::case_ledger(&state.store, row, today, &state.interest).await?
    {
        let f = |label: &'static str, value: String| Fact { label, value };
        v.ledger = vec![
            f("Claimed", format::amount(l.claimed.ore())),
            f(
                "Reductions (nedsättningar)",
                format::amount(l.reductions.ore()),
            ),
            f("Interest to today", amount_or(l.interest, "unknown")),
            f("Fees (avgifter)", format::amount(l.fees.ore())),
            f("Paid out", format::amount(l.paid_out.ore())),
            f(
                "Remaining (återstår)",
                amount_or(l.remaining, "not reported yet"),
            ),
        ];
        v.ledger_note = match &l.interest_problem {
            Some(p) => format!("As of {}; interest unknown: {p}", l.as_of),
            None => format!("As of {}.", l.as_of),
        };
    }
    v.deadlines = state
        .store
        .deadlines_of_case(row.id)
        .await?
        .into_iter()
        .map(|d| DeadlineView {
            kind: d.kind,
            due: d.due,
            source: d.source,
            alerted: format::stored_time(d.alerted_at.as_deref()),
        })
        .collect();
    let requests = state
        .store
        .cases_concerning(
            &row.intressentkod,
            CaseKind::Begaran.as_str(),
            &row.reference,
        )
        .await?;
    // A begäran that stands (not invalid or rejected) is not asked for again.
    let mut standing: Vec<BegaranRequest> = Vec::new();
    for b in &requests {
        if !matches!(b.state, CaseState::Invalid | CaseState::Rejected) {
            if let Some(r) = b.case()?.and_then(|c| c.request) {
                standing.push(r);
            }
        }
    }
    v.requests = requests
        .into_iter()
        .map(|b| BegaranView {
            id: b.id,
            reference: b.reference,
            state: b.state.to_string(),
        })
        .collect();
    v.enforcement_malnummer = state
        .store
        .case_life(row.id)
        .await?
        .enforcement_malnummer
        .unwrap_or_default();
    let bfo = row.kind == CaseKind::Betalningsforelaggande.as_str();
    v.can_request_court =
        bfo && row.state == CaseState::Disputed && !standing.contains(&BegaranRequest::Court);
    v.can_request_enforcement =
        bfo && row.state == CaseState::Decided && !standing.contains(&BegaranRequest::Enforcement);
    let application = [
        CaseKind::Betalningsforelaggande,
        CaseKind::Verkstallighet,
        CaseKind::Fordringsanmalan,
    ]
    .iter()
    .any(|k| k.as_str() == row.kind);
    if application {
        v.decisions = PAPER_DECISIONS
            .iter()
            .filter(|d| {
                let (cause, to) = d.transition();
                Transition::find(cause, to).is_some_and(|t| t.from.contains(&row.state))
            })
            .map(|d| {
                (
                    d.as_str(),
                    format!("{} (→ {})", decision_label(*d), d.transition().1),
                )
            })
            .collect();
    }
    Ok(v)
}

/// What a paper decision is called on the form.
pub fn decision_label(d: PaperDecision) -> &'static str {
    match d {
        PaperDecision::Utslag => "Utslag",
        PaperDecision::HandedToCourt => "Överlämnande to tingsrätt",
        PaperDecision::WrittenOff => "Avskrivningsbeslut (written off)",
        PaperDecision::Withdrawn => "Återkallelse (withdrawn)",
        PaperDecision::Closed => "Enforcement closed",
    }
}

/// An event reason written when a Kronofogden message was applied (`RAPPORT SUPRO.DEV.RAPPORT (tx …): what`)
/// split into its source message and what it said; other reasons have no source.
pub fn split_source(reason: &str) -> (String, String) {
    if let Some((head, rest)) = reason.split_once("): ") {
        if head.contains(" (tx ") {
            return (format!("{head})"), rest.to_string());
        }
    }
    if reason.starts_with("paper decision ") {
        return ("paper decision".into(), reason.to_string());
    }
    (String::new(), reason.to_string())
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    /// The session's anti-forgery token.
    #[serde(default)]
    pub csrf: String,
    /// `court` or `enforcement`.
    #[serde(default)]
    pub request: String,
}

/// The paper decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    /// The session's anti-forgery token.
    #[serde(default)]
    pub csrf: String,
    /// The decision ([`PaperDecision::as_str`]).
    #[serde(default)]
    pub decision: String,
    /// What the paper says.
    #[serde(default)]
    pub note: String,
}

async fn case_row(state: &AppState, caller: &Caller, id: i64) -> Result<CaseRow, Response> {
    match state.store.case_by_id(id).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(message(caller, StatusCode::NOT_FOUND, "No such case.")),
        Err(e) => Err(failed(caller, "case", &e)),
    }
}

/// `POST /console/case/{id}/request`: a begäran (överlämnande or verkställighet) about the case, filed and approved
/// by the operator through [`request_begaran`], as `fogd request` and `POST /api/v1/cases/{ref}/requests` do.
pub async fn request(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<RequestForm>,
) -> Response {
    let (caller, id) = match super::case::acting(caller, &id, &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(request) = BegaranRequest::parse(f.request.trim()) else {
        let text = format!("request: {:?} is not court or enforcement.", f.request);
        return message(&caller, StatusCode::BAD_REQUEST, &text);
    };
    let row = match case_row(&state, &caller, id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let ctx = match crate::api::handlers::validation_context(&state) {
        Ok(c) => c,
        Err(e) => return failed(&caller, "request", &e.message),
    };
    let Some(own) = default_reference(&row.reference, request) else {
        let text = "The case's reference with -O/-V is longer than 20 characters: file the begäran with fogd request --reference.";
        return message(&caller, StatusCode::BAD_REQUEST, text);
    };
    let out = request_begaran(
        &state.store,
        &ctx,
        state.clock.as_ref(),
        &row.reference,
        request,
        ctx.today,
        &own,
        &caller.actor(),
    )
    .await;
    state.cache.bump();
    match out {
        Ok(o) if o.state == CaseState::Approved => {
            Redirect::to(&format!("/console/case/{id}")).into_response()
        }
        Ok(o) => {
            let why: Vec<String> = o
                .problems
                .iter()
                .map(|p| format!("{} ({}): {}", p.field, p.rule, p.message))
                .collect();
            let text = format!(
                "The begäran {} was not filed: {}",
                o.reference,
                why.join("; ")
            );
            message(&caller, StatusCode::UNPROCESSABLE_ENTITY, &text)
        }
        Err(e) => failed(&caller, "request", &e),
    }
}

/// `POST /console/case/{id}/decision`: a decision that came on paper, with a note, entered through
/// [`record_paper_decision`] as `fogd paper-decision` and `POST /api/v1/cases/{ref}/decisions` do.
pub async fn decision(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let (caller, id) = match super::case::acting(caller, &id, &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(decision) = PAPER_DECISIONS
        .into_iter()
        .find(|d| d.as_str() == f.decision.trim())
    else {
        let text = format!("decision: {:?} is not a paper decision.", f.decision);
        return message(&caller, StatusCode::BAD_REQUEST, &text);
    };
    let note = match super::case::text_field(&caller, "note", &f.note) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let row = match case_row(&state, &caller, id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let today = format::day_of(state.clock.now());
    let out = record_paper_decision(
        &state.store,
        &row.reference,
        decision,
        today,
        &note,
        &caller.actor(),
        state.clock.as_ref(),
    )
    .await;
    state.cache.bump();
    match out {
        Ok(o) => match o.problem {
            None => Redirect::to(&format!("/console/case/{id}")).into_response(),
            Some(p) => message(&caller, StatusCode::CONFLICT, &format!("Not entered: {p}.")),
        },
        Err(e) => failed(&caller, "decision", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_reasons_name_their_message() {
        let (s, d) = split_source("RAPPORT SUPRO.DEV.RAPPORT (tx abc-1): utslag BF-1-26");
        assert_eq!(s, "RAPPORT SUPRO.DEV.RAPPORT (tx abc-1)");
        assert_eq!(d, "utslag BF-1-26");
        let (s, d) = split_source("paper decision written_off 2026-12-01: letter of 28 Nov");
        assert_eq!(
            (s.as_str(), d.as_str()),
            (
                "paper decision",
                "paper decision written_off 2026-12-01: letter of 28 Nov"
            )
        );
        assert_eq!(
            split_source("held: check"),
            (String::new(), "held: check".into())
        );
    }
}
