//! The filing deadline of a fordringsanmälan (fogd-ref-2.md §2.3): `deadline`, else `publication_date` + one month.
//! A fordringsanmälan taken in or built after it is held for review (`skuldsanering.deadline_passed`); once an
//! operator has approved it with that warning on it, it goes.

use super::{Issue, Severity};
use crate::domain::case::{Case, CaseKind};
use chrono::NaiveDate;

/// The rule name.
pub const DEADLINE_PASSED: &str = "skuldsanering.deadline_passed";

/// The warning for a fordringsanmälan whose filing deadline lies before `today`, if it does.
pub fn deadline_passed(case: &Case, today: NaiveDate) -> Option<Issue> {
    if case.kind != CaseKind::Fordringsanmalan {
        return None;
    }
    let deadline = case.filing_deadline().filter(|d| today > *d)?;
    let path = if case.deadline.is_some() {
        "deadline"
    } else {
        "publication_date"
    };
    Some(Issue {
        severity: Severity::Warning,
        path: path.into(),
        field: path.into(),
        rule: DEADLINE_PASSED.into(),
        value: Some(deadline.to_string()),
        message: format!(
            "the last day to file this fordringsanmälan was {deadline} (today is {today})"
        ),
    })
}
