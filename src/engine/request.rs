//! An operator's begäran about a registered BFÖ case (fogd-ref-2.md §2.5): överlämnande to a tingsrätt after a
//! bestridande, or verkställighet of an utslag. The request becomes a case of kind `begaran` through intake (so
//! it is validated, checked against what fogd knows — rules `begaran.*` — and audited like every case) and is
//! approved by the operator who asked; the build pass puts it in a `{ik}.BEGARAN` file of its own löpnummer
//! series, answered by `SUPRO.{ik}.BEGKVITT`.

use super::import::{import, ImportOptions, Problem};
use super::EngineError;
use crate::clock::Clock;
use crate::domain::case::BegaranRequest;
use crate::domain::validate::ValidationContext;
use crate::domain::{CaseKind, CaseState};
use crate::store::Store;
use chrono::NaiveDate;

/// What a request did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestOutcome {
    /// The begäran's own reference.
    pub reference: String,
    /// Its state: `approved` (it will be sent), or `invalid` with the problems.
    pub state: CaseState,
    /// Why it cannot be sent, when it cannot.
    pub problems: Vec<Problem>,
}

/// The begäran's reference when none is given: the case's reference with `-O` / `-V` (so asking twice is the
/// same begäran), when that fits the 20 characters of a handlingsref.
pub fn default_reference(concerns: &str, request: BegaranRequest) -> Option<String> {
    let code = match request {
        BegaranRequest::Court => "O",
        BegaranRequest::Enforcement => "V",
    };
    let r = format!("{concerns}-{code}");
    (r.chars().count() <= 20).then_some(r)
}

/// Files a begäran about `concerns` and approves it by `actor`.
#[allow(clippy::too_many_arguments)]
pub async fn request_begaran(
    store: &Store,
    ctx: &ValidationContext,
    clock: &dyn Clock,
    concerns: &str,
    request: BegaranRequest,
    date: NaiveDate,
    reference: &str,
    actor: &str,
) -> Result<RequestOutcome, EngineError> {
    let input = serde_json::json!({
        "reference": reference,
        "kind": CaseKind::Begaran.as_str(),
        "concerns": concerns,
        "request": request.as_str(),
        "date": date.to_string(),
    })
    .to_string();
    // Read before any await: the reader is not `Send`.
    let records: Vec<_> = {
        let source = crate::domain::intake::open_source(input.as_bytes(), None)
            .map_err(|e| EngineError::OwnRecord(format!("begäran: {e}")))?;
        let records = source
            .records()
            .map_err(|e| EngineError::OwnRecord(format!("begäran: {e}")))?;
        records.collect()
    };
    let opts = ImportOptions {
        actor: actor.to_string(),
        keep_invalid: false,
        ..ImportOptions::file("request")
    };
    let out = import(
        Some(store),
        records.into_iter(),
        ctx,
        &opts,
        clock,
        &mut |_| {},
    )
    .await?;
    let row = store
        .cases_by_reference(reference, None)
        .await?
        .into_iter()
        .find(|c| c.kind == CaseKind::Begaran.as_str());
    let Some(row) = row else {
        return Ok(RequestOutcome {
            reference: reference.to_string(),
            state: CaseState::Invalid,
            problems: out.problems,
        });
    };
    let mut state = row.state;
    if matches!(state, CaseState::Journal | CaseState::Held) {
        super::journal::approve_case(store, row.id, actor, clock).await?;
        state = store.case_by_id(row.id).await?.map_or(state, |r| r.state);
    }
    let mut problems = out.problems;
    if problems.is_empty() && state == CaseState::Invalid {
        // Asked again while still invalid: the stored issues say why.
        problems = row
            .issues()?
            .into_iter()
            .map(|i| Problem {
                severity: i.severity,
                source: "request".into(),
                line: 0,
                reference: Some(reference.to_string()),
                field: i.field,
                rule: i.rule,
                value: i.value,
                message: i.message,
            })
            .collect();
    }
    Ok(RequestOutcome {
        reference: reference.to_string(),
        state,
        problems,
    })
}

/// Why a begäran may not be sent, checked against what fogd knows of the case it concerns (fogd-ref-2.md §2.5):
/// `court` only for a disputed case and no later than its `sista_dag` (rules `begaran.court_not_disputed`,
/// `begaran.court_too_late`) and when the application did not ask for it already (`begaran.court_in_application`);
/// `enforcement` only after an utslag and when not requested already, in the application or by a begäran
/// (`begaran.enforcement_no_utslag`, `begaran.enforcement_already_requested`). `None` when it may go.
pub(super) async fn begaran_refusal(
    store: &Store,
    new: &crate::store::NewCase,
    parent: &crate::store::CaseRow,
) -> Result<Option<(&'static str, String)>, EngineError> {
    let Some(case) = new
        .case_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<crate::domain::Case>(j).ok())
    else {
        return Ok(None);
    };
    let (Some(request), Some(date)) = (case.request, case.date) else {
        return Ok(None);
    };
    let r = &parent.reference;
    // What the application itself asked for: Kronofogden acts on it without a begäran (fogd-ref-2.md §3.1).
    let asked = parent
        .case()
        .ok()
        .flatten()
        .map(|c| c.requests)
        .unwrap_or_default();
    Ok(match request {
        crate::domain::case::BegaranRequest::Court if asked.court_if_disputed => Some((
            "begaran.court_in_application",
            format!("the application {r} asked for överlämnande if disputed; Kronofogden hands it over without a begäran"),
        )),
        crate::domain::case::BegaranRequest::Enforcement if asked.enforcement => Some((
            "begaran.enforcement_already_requested",
            format!("the application {r} asked for verkställighet already"),
        )),
        crate::domain::case::BegaranRequest::Court => {
            if parent.state != CaseState::Disputed {
                Some((
                    "begaran.court_not_disputed",
                    format!("överlämnande asked for {r}, which is {} (only a disputed case can be handed over)", parent.state),
                ))
            } else {
                match store.deadline_of(parent.id, "overlamnande").await? {
                    Some(last) if date > last => Some((
                        "begaran.court_too_late",
                        format!("överlämnande for {r} dated {date}, after its sista_dag {last}"),
                    )),
                    _ => None,
                }
            }
        }
        crate::domain::case::BegaranRequest::Enforcement => {
            let utslag = parent.state == CaseState::Decided;
            let others = store
                .cases_concerning(&new.intressentkod, CaseKind::Begaran.as_str(), r)
                .await?;
            let already = parent.state == CaseState::Enforcement
                || others.iter().any(|o| {
                    o.reference != new.reference
                        && !matches!(o.state, CaseState::Invalid | CaseState::Rejected)
                        && o.case().ok().flatten().and_then(|c| c.request)
                            == Some(crate::domain::case::BegaranRequest::Enforcement)
                });
            if already {
                Some((
                    "begaran.enforcement_already_requested",
                    format!("verkställighet of {r} was requested already"),
                ))
            } else if !utslag {
                Some((
                    "begaran.enforcement_no_utslag",
                    format!(
                        "verkställighet asked for {r}, which is {} (only after an utslag)",
                        parent.state
                    ),
                ))
            } else {
                None
            }
        }
    })
}
