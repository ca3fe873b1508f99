//! `GET /console/cases`: the cases list, filtered by state, kind, creditor, intressentkod, file and a range of
//! creation days, newest first, [`PAGE`] a page with keyset paging (`before` = the last id shown: no OFFSET, so the
//! thousandth page costs what the first does). `GET /console/cases.csv` and `.xlsx` export the filtered list (at
//! most [`EXPORT_MAX`] cases) with the report writers of [`crate::report`]: Swedish CSV (BOM, `;`, decimal comma,
//! formula guard) and a workbook with typed cells. Debtors' numbers are masked per role in both.

use super::{failed, format, html, id_for, message, viewer_query, Chrome};
use crate::api::auth::{Caller, MaybeCaller};
use crate::api::AppState;
use crate::domain::{CaseKind, CaseState};
use crate::report::{Cell, Report, ReportKind};
use crate::store::console::CaseFilter;
use crate::store::{CaseRow, StoreError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Cases per page.
pub const PAGE: i64 = 50;
/// Cases an export holds at most.
pub const EXPORT_MAX: usize = 100_000;
/// Cases read per query while exporting.
const EXPORT_CHUNK: i64 = 1000;

/// The list's query: every filter as typed in the form (checked by [`CasesQuery::filter`]), and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct CasesQuery {
    /// States, comma-separated.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub state: Option<String>,
    /// Kind name.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub kind: Option<String>,
    /// Intressentkod.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub intressentkod: Option<String>,
    /// Creditor's organisation (or personal) number.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub creditor: Option<String>,
    /// File id, name or tx.id.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub file: Option<String>,
    /// First creation day (`2026-11-01`).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub from: Option<String>,
    /// Last creation day.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub to: Option<String>,
    /// Show cases below this id (the next page).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub before: Option<String>,
}

fn is_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// A filter that cannot be used: the field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct BadFilter {
    /// The form field.
    pub field: &'static str,
    /// What is wrong and what is expected.
    pub rule: String,
}

fn bad(field: &'static str, rule: impl Into<String>) -> BadFilter {
    BadFilter {
        field,
        rule: rule.into(),
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(field: &'static str, v: &Option<String>) -> Result<Option<NaiveDate>, BadFilter> {
    given(v)
        .map(|t| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| bad(field, format!("{t:?} is not a date like 2026-11-30")))
        })
        .transpose()
}

impl CasesQuery {
    /// The store filter, or the first field that cannot be used.
    pub fn filter(&self) -> Result<CaseFilter, BadFilter> {
        let mut states = Vec::new();
        for s in given(&self.state).into_iter().flat_map(|s| s.split(',')) {
            let s = s.trim();
            states.push(
                CaseState::parse(s)
                    .ok_or_else(|| bad("state", format!("{s:?} is not a case state")))?,
            );
        }
        if let Some(k) = given(&self.kind) {
            CaseKind::parse(k).ok_or_else(|| bad("kind", format!("{k:?} is not a case kind")))?;
        }
        let creditor_digits = given(&self.creditor)
            .map(|c| {
                let digits: String = c.chars().filter(|ch| ch.is_ascii_digit()).collect();
                match digits.len() {
                    12 => Ok(digits),
                    10 => Ok(format!("16{digits}")),
                    _ => Err(bad(
                        "creditor",
                        format!("{c:?}: give the organisation number (556036-0793) or 12 digits"),
                    )),
                }
            })
            .transpose()?;
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                return Err(bad("to", "the last day is before the first"));
            }
        }
        Ok(CaseFilter {
            states,
            kind: given(&self.kind).map(str::to_string),
            intressentkod: given(&self.intressentkod).map(str::to_string),
            creditor_digits,
            file: given(&self.file).map(str::to_string),
            created_from: from.map(format::day_start),
            created_to: to.and_then(|t| t.succ_opt()).map(format::day_start),
        })
    }

    /// The page's `before` id.
    pub fn before(&self) -> Result<Option<i64>, BadFilter> {
        given(&self.before)
            .map(|b| {
                b.parse::<i64>()
                    .map_err(|_| bad("before", format!("{b:?} is not a case id")))
            })
            .transpose()
    }

    /// This query as a URL query string (without `?`), `before` replaced.
    fn link(&self, before: Option<i64>) -> String {
        let q = CasesQuery {
            before: before.map(|b| b.to_string()),
            ..self.clone()
        };
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

/// One case as a list row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseItem {
    /// Row id (the case page's address).
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: String,
    /// Intressentkod.
    pub intressentkod: String,
    /// Creditor's name.
    pub creditor: String,
    /// Debtors' numbers (masked per role).
    pub debtors: String,
    /// Amount claimed, in öre (`None` without a validated case).
    pub amount_ore: Option<i64>,
    /// Amount claimed (Swedish form).
    pub amount: String,
    /// Målnummer.
    pub malnummer: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Created (Stockholm).
    pub created: String,
}

impl CaseItem {
    /// The list row of `row` as `caller` may see it.
    pub fn of(caller: &Caller, row: &CaseRow) -> Result<CaseItem, StoreError> {
        let case = row.case()?;
        let (creditor, debtors, amount_ore) = match &case {
            Some(c) => (
                c.creditor
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                c.debtors
                    .iter()
                    .filter_map(|d| d.id.as_ref())
                    .map(|id| super::party_id(caller, id))
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(c.total_amount().ore()),
            ),
            None => (String::new(), input_debtors(caller, &row.input_json), None),
        };
        Ok(CaseItem {
            id: row.id,
            reference: row.reference.clone(),
            kind: row.kind.clone(),
            state: row.state.to_string(),
            intressentkod: row.intressentkod.clone(),
            creditor,
            debtors,
            amount_ore,
            amount: amount_ore.map(format::amount).unwrap_or_default(),
            malnummer: row.malnummer.clone().unwrap_or_default(),
            created_at: row.created_at.clone(),
            created: format::stored_time(Some(&row.created_at)),
        })
    }
}

/// The debtors' numbers of an invalid case's input (as given, masked per role).
fn input_debtors(caller: &Caller, input_json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(input_json).unwrap_or_default();
    v.get("debtors")
        .and_then(|d| d.as_array())
        .map(|ds| {
            ds.iter()
                .filter_map(|d| d.get("id").and_then(|i| i.as_str()))
                .map(|id| {
                    let digits: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
                    id_for(caller, &digits)
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "console/cases.html")]
struct CasesPage {
    c: Chrome,
    q: CasesQuery,
    states: Vec<(String, bool)>,
    kinds: Vec<(String, bool)>,
    error: Option<String>,
    items: Vec<CaseItem>,
    next: Option<String>,
    first: Option<String>,
    export: String,
}

/// `GET /console/cases`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<CasesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (caller, q) = match viewer_query(caller, q, "filter") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let selected: Vec<&str> = given(&q.state)
        .map(|s| s.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let states = CaseState::ALL
        .iter()
        .map(|s| {
            (
                s.to_string(),
                selected.len() == 1 && selected[0] == s.as_str(),
            )
        })
        .collect();
    let kinds = CaseKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), given(&q.kind) == Some(k.as_str())))
        .collect();
    let mut page = CasesPage {
        c: Chrome::new(&caller, "Cases", "cases"),
        export: q.link(None),
        q,
        states,
        kinds,
        error: None,
        items: Vec::new(),
        next: None,
        first: None,
    };
    let (filter, before) = match page.q.filter().and_then(|f| Ok((f, page.q.before()?))) {
        Ok(x) => x,
        Err(e) => {
            page.error = Some(e.to_string());
            let mut r = html(&page);
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return r;
        }
    };
    let rows = match state.store.cases_filtered(&filter, before, PAGE + 1).await {
        Ok(r) => r,
        Err(e) => return failed(&caller, "cases", &e),
    };
    let more = rows.len() as i64 > PAGE;
    for row in rows.iter().take(PAGE as usize) {
        match CaseItem::of(&caller, row) {
            Ok(i) => page.items.push(i),
            Err(e) => return failed(&caller, "cases", &e),
        }
    }
    if more {
        page.next = page.items.last().map(|i| page.q.link(Some(i.id)));
    }
    if before.is_some() {
        page.first = Some(page.q.link(None));
    }
    html(&page)
}

/// The filtered cases as a report (at most [`EXPORT_MAX`]).
async fn export(state: &AppState, caller: &Caller, q: &CasesQuery) -> Result<Report, Response> {
    let filter = q
        .filter()
        .map_err(|e| message(caller, StatusCode::BAD_REQUEST, &e.to_string()))?;
    let mut rows = Vec::new();
    let mut before = None;
    while rows.len() < EXPORT_MAX {
        let page = state
            .store
            .cases_filtered(&filter, before, EXPORT_CHUNK)
            .await
            .map_err(|e| failed(caller, "export", &e))?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for row in &page {
            let i = CaseItem::of(caller, row).map_err(|e| failed(caller, "export", &e))?;
            rows.push(vec![
                Cell::text(i.reference),
                Cell::text(i.kind),
                Cell::text(i.state),
                Cell::text(i.intressentkod),
                Cell::text(i.creditor),
                Cell::text(i.debtors),
                i.amount_ore
                    .map_or(Cell::Empty, |o| Cell::Amount(crate::domain::Amount(o))),
                Cell::text(i.malnummer),
                Cell::time(Some(&i.created_at)),
            ]);
        }
        if (page.len() as i64) < EXPORT_CHUNK {
            break;
        }
    }
    rows.truncate(EXPORT_MAX);
    let today = format::day_of(state.clock.now());
    let from = day("from", &q.from).ok().flatten().unwrap_or(today);
    let to = day("to", &q.to).ok().flatten().unwrap_or(today);
    let n = rows.len() as i64;
    Ok(Report {
        kind: ReportKind::Status,
        from,
        to,
        title: "Cases".into(),
        headers: [
            "Reference",
            "Kind",
            "State",
            "Intressentkod",
            "Creditor",
            "Debtors",
            "Amount claimed",
            "Målnummer",
            "Created",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        summary: vec![("Cases".into(), n)],
    })
}

fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut r = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `GET /console/cases.csv`.
pub async fn export_csv(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<CasesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (caller, q) = match viewer_query(caller, q, "filter") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let report = match export(&state, &caller, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut body = Vec::new();
    if let Err(e) = crate::report::write_csv(&report, &mut body) {
        return failed(&caller, "export", &e);
    }
    download("text/csv; charset=utf-8", "cases.csv", body)
}

/// `GET /console/cases.xlsx`.
pub async fn export_xlsx(
    State(state): State<Arc<AppState>>,
    MaybeCaller(caller): MaybeCaller,
    q: Result<Query<CasesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (caller, q) = match viewer_query(caller, q, "filter") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let report = match export(&state, &caller, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let written = tokio::task::spawn_blocking(move || crate::report::xlsx_bytes(&report))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    match written {
        Ok(body) => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "cases.xlsx",
            body,
        ),
        Err(e) => failed(&caller, "export", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(f: impl FnOnce(&mut CasesQuery)) -> CasesQuery {
        let mut q = CasesQuery::default();
        f(&mut q);
        q
    }

    #[test]
    fn filters_are_checked_field_by_field() {
        let f = q(|q| {
            q.state = Some("journal, held".into());
            q.creditor = Some("556036-0793".into());
            q.from = Some("2026-11-01".into());
            q.to = Some("2026-11-30".into());
        })
        .filter()
        .unwrap();
        assert_eq!(f.states, vec![CaseState::Journal, CaseState::Held]);
        assert_eq!(f.creditor_digits.as_deref(), Some("165560360793"));
        assert_eq!(
            f.created_to.unwrap().to_rfc3339(),
            "2026-11-30T23:00:00+00:00"
        );
        let e = q(|q| q.state = Some("sent,nope".into()))
            .filter()
            .unwrap_err();
        assert_eq!(e.field, "state");
        let e = q(|q| q.kind = Some("loan".into())).filter().unwrap_err();
        assert_eq!(e.field, "kind");
        let e = q(|q| q.from = Some("30/11/2026".into()))
            .filter()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "from: \"30/11/2026\" is not a date like 2026-11-30"
        );
        let e = q(|q| {
            q.from = Some("2026-11-02".into());
            q.to = Some("2026-11-01".into());
        })
        .filter()
        .unwrap_err();
        assert_eq!(e.field, "to");
        assert_eq!(
            q(|q| q.before = Some("x".into()))
                .before()
                .unwrap_err()
                .field,
            "before"
        );
    }

    #[test]
    fn links_keep_the_filter_and_replace_the_page() {
        let query = q(|q| {
            q.state = Some("sent".into());
            q.kind = Some(String::new());
            q.before = Some("99".into());
        });
        assert_eq!(query.link(Some(42)), "state=sent&before=42");
        assert_eq!(query.link(None), "state=sent");
    }
}
