//! `GET /console/problems`: the cases that need correcting, each with every error and what to do. Invalid cases
//! (refused at intake): every issue with its field, rule, the value given and the message. Rejected cases
//! (Kronofogden named them in a kvittens): each felkod with Kronofogden's text and the advice of
//! [`crate::formats::felkod::advice`], and the file (löpnummer) that carried them.

use super::{failed, html, viewer, Chrome};
use crate::api::auth::MaybeCaller;
use crate::api::AppState;
use crate::domain::CaseState;
use crate::formats::felkod::{advice, Felkoder};
use crate::store::console::CaseFilter;
use crate::store::{CaseRow, StoreError};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

/// Cases shown per list (newest first; the cases list pages through all of them).
pub const SHOWN: i64 = 100;

/// One error of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    /// Field (path), or felkod.
    pub field: String,
    /// Rule broken, or Kronofogden's text.
    pub rule: String,
    /// The value given.
    pub value: String,
    /// What to do.
    pub what_to_do: String,
}

/// A case with its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemCase {
    /// Row id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// Where it came from (source line, or file and löpnummer).
    pub source: String,
    /// Its errors.
    pub errors: Vec<ErrorLine>,
}

#[derive(Template)]
#[template(path = "console/problems.html")]
struct ProblemsPage {
    c: Chrome,
    invalid: Vec<ProblemCase>,
    rejected: Vec<ProblemCase>,
}

fn invalid_case(row: &CaseRow) -> Result<ProblemCase, StoreError> {
    let errors = row
        .issues()?
        .into_iter()
        .map(|i| ErrorLine {
            field: i.path,
            rule: i.rule,
            value: i.value.unwrap_or_default(),
            what_to_do: i.message,
        })
        .collect();
    Ok(ProblemCase {
        id: row.id,
        reference: row.reference.clone(),
        kind: row.kind.clone(),
        source: match (&row.source, row.source_line) {
            (Some(s), Some(l)) => format!("{s}, line {l}"),
            (Some(s), None) => s.clone(),
            _ => String::new(),
        },
        errors,
    })
}

async fn build(state: &AppState) -> Result<(Vec<ProblemCase>, Vec<ProblemCase>), StoreError> {
    let list = |s: CaseState| CaseFilter {
        states: vec![s],
        ..CaseFilter::default()
    };
    let invalid = state
        .store
        .cases_filtered(&list(CaseState::Invalid), None, SHOWN)
        .await?
        .iter()
        .map(invalid_case)
        .collect::<Result<Vec<_>, _>>()?;
    let rows = state
        .store
        .cases_filtered(&list(CaseState::Rejected), None, SHOWN)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let infos = state.store.case_file_info_for(&ids).await?;
    let felkoder = Felkoder::embedded();
    let mut rejected = Vec::with_capacity(rows.len());
    for r in &rows {
        let info = infos.iter().find(|i| i.case_id == r.id);
        let rejections = match info {
            Some(i) => i.rejections()?.unwrap_or_default(),
            None => Vec::new(),
        };
        let errors = rejections
            .iter()
            .map(|x| ErrorLine {
                field: x.felkod.clone(),
                rule: x.feltext.clone(),
                value: String::new(),
                what_to_do: advice(&felkoder.lookup([x.felkod.as_str()])).to_string(),
            })
            .collect();
        let source = info
            .and_then(|i| {
                Some(format!(
                    "{} (löpnummer {})",
                    i.file_name.clone()?,
                    i.lopnummer?
                ))
            })
            .unwrap_or_default();
        rejected.push(ProblemCase {
            id: r.id,
            reference: r.reference.clone(),
            kind: r.kind.clone(),
            source,
            errors,
        });
    }
    Ok((invalid, rejected))
}

/// `GET /console/problems`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let caller = match viewer(caller) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match build(&state).await {
        Ok((invalid, rejected)) => html(&ProblemsPage {
            c: Chrome::new(&caller, "Invalid and rejected cases", "problems"),
            invalid,
            rejected,
        }),
        Err(e) => failed(&caller, "problems", &e),
    }
}
