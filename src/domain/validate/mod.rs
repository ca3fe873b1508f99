//! Intake validation (intake.md §3): a [`CaseInput`] becomes a normalised [`Case`], with *every* problem of the case
//! reported at once as an [`Issue`].
//!
//! Errors make the case `invalid`; warnings (the cost rules, limitation, interest that cannot be computed or is
//! implausible, a missed filing deadline) keep the case but hold it for review. Readings of gaps in the spec, kept here in one place:
//! - A follow-up's `concerns` defaults to its own `reference` (the follow-up is usually filed under the same
//!   ärendenummer as the case it concerns).
//! - A field that does not belong to the case's kind (e.g. `title` on a BFÖ) is an error (`field.not_allowed`), so
//!   that data is never silently dropped.
//! - A debtor without an identity number (id_typ U) must have a full postal address (street, postal code, city).
//! - The cost rules are per case, not per claim line (fogd-ref-2.md §2.1, `costs`); `annan_kostnad` has no cap.
//!   They apply to every application kind.
//! - Limitation applies to BFÖ and fordringsanmälan claims, counted from `arose`, else the due date; the consumer
//!   period applies when any debtor is not a business (`business`, by default an organisationsnummer; a debtor that
//!   did not validate counts as a consumer) and the case is not on a löpande skuldebrev. Verkställighet rests on a
//!   title and is not checked.
//! - Interest is computed where a case needs it (`interest_rules`): a stated `upplupen_ranta` of a BFÖ, and a
//!   fordringsanmälan's claims up to the decision date. Follow-ups are checked against the case they concern where
//!   intake meets the store ([`concerned`]).
//! - The due date must not lie in the future for BFÖ; follow-up dates and title dates must not lie in the future.
//! - An intressentkod is 1–3 ASCII letters or digits.

use super::amount::Amount;
use super::case::{
    Case, CaseInput, CaseKind, Change, ChangeKind, Claim, ClaimInput, ClaimKind, Debtor,
    DebtorInput, FollowUpReason, Interest, InterestKind, Party, PartyInput, Title, TitleKind,
};
use super::ids::IdNumber;
use super::interest::ReferensrantaTable;
use super::text;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt::Display;

mod claim;
pub mod concerned;
mod costs;
pub mod deadline;
mod debtor;
mod follow_up;
mod interest_rules;
mod party;
mod ref2;

/// How bad an issue is: errors make the case invalid, warnings hold it for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The case cannot be filed.
    Error,
    /// The case may be filed, after an operator's review.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// JSON path of the value, e.g. `debtors[0].id` (empty for the case as a whole).
    pub path: String,
    /// The field's own name (last path segment), e.g. `id`.
    pub field: String,
    /// The rule broken, `family.rule`, e.g. `personnummer.checksum`.
    pub rule: String,
    /// The offending value as given, if any.
    pub value: Option<String>,
    /// A sentence for the operator.
    pub message: String,
}

/// The rules that are policy (from `[rules]`), in domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Cap for påminnelseavgift.
    pub cap_paminnelseavgift: Amount,
    /// Cap for inkassokostnad.
    pub cap_inkassokostnad: Amount,
    /// Cap for förseningsersättning (business debtors only).
    pub cap_forseningsersattning: Amount,
    /// Cap for the fee for a payment plan.
    pub cap_amorteringsplan: Amount,
    /// Kronofogden's application fee: a claim for it is exactly this.
    pub fee_ansokningsavgift: Amount,
    /// Cap for the agent's fee (only with an agent).
    pub cap_ombudsarvode: Amount,
    /// Limitation period for consumer debtors, years.
    pub limitation_years_consumer: u32,
    /// Limitation period otherwise, years.
    pub limitation_years_other: u32,
    /// Most debtors per case.
    pub max_debtors: usize,
    /// Most claims per case.
    pub max_claims: usize,
    /// The installation files FOGD-REF-1 (`[layouts] edition`, else the edition its database recorded): the
    /// FOGD-REF-2 content rules of a verkställighet (fogd-ref-2.md §2.2: one debtor, id and address, the court) do
    /// not apply, as FOGD-REF-1 carries co-debtors in its record 04.
    pub fogd_ref_1: bool,
}

impl Default for Rules {
    /// The intake.md defaults.
    fn default() -> Self {
        Rules {
            cap_paminnelseavgift: Amount(6_000),
            cap_inkassokostnad: Amount(18_000),
            cap_forseningsersattning: Amount(45_000),
            cap_amorteringsplan: Amount(17_000),
            fee_ansokningsavgift: Amount(30_000),
            cap_ombudsarvode: Amount(38_000),
            limitation_years_consumer: 3,
            limitation_years_other: 10,
            max_debtors: 9,
            max_claims: 20,
            fogd_ref_1: false,
        }
    }
}

impl Rules {
    /// These rules for an installation on `edition` (see [`Rules::fogd_ref_1`]).
    pub fn for_edition(mut self, edition: &str) -> Rules {
        self.fogd_ref_1 = edition == "FOGD-REF-1";
        self
    }

    /// The rules of the `[rules]` configuration section (read into types at load), for FOGD-REF-2 until
    /// [`Rules::for_edition`] says otherwise.
    pub fn from_config(cfg: &crate::config::RulesConfig) -> Rules {
        Rules {
            cap_paminnelseavgift: cfg.cap_paminnelseavgift.0,
            cap_inkassokostnad: cfg.cap_inkassokostnad.0,
            cap_forseningsersattning: cfg.cap_forseningsersattning.0,
            cap_amorteringsplan: cfg.cap_amorteringsplan.0,
            fee_ansokningsavgift: cfg.fee_ansokningsavgift.0,
            cap_ombudsarvode: cfg.cap_ombudsarvode.0,
            limitation_years_consumer: cfg.limitation_years_consumer,
            limitation_years_other: cfg.limitation_years_other,
            max_debtors: cfg.max_debtors as usize,
            max_claims: cfg.max_claims as usize,
            fogd_ref_1: false,
        }
    }
}

/// Everything validation needs besides the case: the rules, today's date and the default intressentkod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationContext {
    /// Policy rules.
    pub rules: Rules,
    /// Today (local date of the run), for due dates in the future and limitation.
    pub today: NaiveDate,
    /// The intressentkod used when a case names none.
    pub default_intressentkod: String,
    /// Riksbanken's referensränta per half-year, for the interest a case needs (fogd-ref-2.md §4).
    pub interest: std::sync::Arc<ReferensrantaTable>,
}

/// The outcome of validating one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The normalised case, when there are no errors (warnings allowed).
    pub case: Option<Case>,
    /// Every problem found.
    pub issues: Vec<Issue>,
}

impl Validation {
    /// True when any issue is an error.
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
    /// True when any issue is a warning.
    pub fn has_warnings(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Warning)
    }
}

/// Validates one case: every rule of intake.md §3 for its kind; all problems reported.
pub fn validate(input: &CaseInput, ctx: &ValidationContext) -> Validation {
    let mut v = Validator {
        issues: Vec::new(),
        ctx,
    };
    let case = v.case(input);
    let has_errors = v.issues.iter().any(|i| i.severity == Severity::Error);
    Validation {
        case: if has_errors { None } else { case },
        issues: v.issues,
    }
}

/// `parent.name`: a JSON path below another, written out only when an issue names it (validation of a valid case
/// builds no path strings).
#[derive(Clone, Copy)]
struct Field<'a, P>(&'a P, &'a str);

impl<P: Display> Display for Field<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// `name[i]`: an element of a JSON array, written out only when an issue names it.
#[derive(Clone, Copy)]
struct Indexed(&'static str, usize);

impl Display for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

fn leaf(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last.find('[') {
        Some(i) => last[..i].to_string(),
        None => last.to_string(),
    }
}

fn json_text(v: &serde_json::Value) -> std::borrow::Cow<'_, str> {
    match v {
        serde_json::Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

struct Validator<'a> {
    issues: Vec<Issue>,
    ctx: &'a ValidationContext,
}

impl Validator<'_> {
    fn push(
        &mut self,
        severity: Severity,
        path: impl Display,
        rule: &str,
        value: Option<&str>,
        msg: String,
    ) {
        let path = path.to_string();
        self.issues.push(Issue {
            severity,
            field: leaf(&path),
            path,
            rule: rule.to_string(),
            value: value.map(str::to_string),
            message: msg,
        });
    }

    fn err(&mut self, path: impl Display + Copy, rule: &str, value: Option<&str>, msg: String) {
        self.push(Severity::Error, path, rule, value, msg);
    }

    fn warn(&mut self, path: impl Display + Copy, rule: &str, value: Option<&str>, msg: String) {
        self.push(Severity::Warning, path, rule, value, msg);
    }

    fn required(&mut self, path: impl Display + Copy, what: impl Display) {
        self.err(path, "field.required", None, format!("{what} is required"));
    }

    fn not_allowed(&mut self, path: impl Display + Copy, value: Option<&str>, kind: CaseKind) {
        self.err(
            path,
            "field.not_allowed",
            value,
            format!("{path} does not belong to a {kind} case"),
        );
    }

    /// Normalises optional text; empty text counts as absent.
    fn text(&mut self, path: impl Display + Copy, value: Option<&str>) -> Option<String> {
        let raw = value?;
        match text::normalise(raw) {
            Ok(t) if t.is_empty() => None,
            Ok(t) => Some(t),
            Err(e) => {
                self.err(
                    path,
                    "text.latin1",
                    Some(raw),
                    format!(
                        "character {:?} (U+{:04X}) at position {} cannot be written in ISO-8859-1",
                        e.ch, e.code, e.position
                    ),
                );
                None
            }
        }
    }

    /// Normalised text that must be present.
    fn required_text(
        &mut self,
        path: impl Display + Copy,
        value: Option<&str>,
        what: impl Display,
    ) -> Option<String> {
        let present = value.is_some_and(|s| !s.trim().is_empty());
        let t = self.text(path, value);
        if !present {
            self.required(path, what);
        }
        t
    }

    fn date(&mut self, path: impl Display + Copy, value: Option<&str>) -> Option<NaiveDate> {
        let raw = value?.trim();
        if raw.is_empty() {
            return None;
        }
        match iso_date(raw) {
            Some(d) => Some(d),
            None => {
                self.err(
                    path,
                    "date.format",
                    Some(raw),
                    format!("{raw:?} is not a date YYYY-MM-DD"),
                );
                None
            }
        }
    }

    fn required_date(
        &mut self,
        path: impl Display + Copy,
        value: Option<&str>,
        what: &str,
    ) -> Option<NaiveDate> {
        if value.is_none_or(|s| s.trim().is_empty()) {
            self.required(path, what);
            return None;
        }
        self.date(path, value)
    }

    fn not_future(
        &mut self,
        path: impl Display + Copy,
        d: Option<NaiveDate>,
        rule: &str,
        what: &str,
    ) {
        if let Some(d) = d {
            if d > self.ctx.today {
                self.err(
                    path,
                    rule,
                    Some(&d.to_string()),
                    format!(
                        "{what} {d} lies in the future (today is {})",
                        self.ctx.today
                    ),
                );
            }
        }
    }

    fn amount(
        &mut self,
        path: impl Display + Copy,
        value: Option<&serde_json::Value>,
    ) -> Option<Amount> {
        let v = value?;
        if v.is_null() {
            return None;
        }
        let raw = json_text(v);
        if raw.trim().is_empty() {
            return None;
        }
        if !(v.is_string() || v.is_number()) {
            self.err(
                path,
                "amount.format",
                Some(&raw),
                "an amount must be a decimal string in kronor".into(),
            );
            return None;
        }
        match Amount::parse_kronor(&raw) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err(path, "amount.format", Some(&raw), e.to_string());
                None
            }
        }
    }

    fn id(&mut self, path: impl Display + Copy, raw: &str) -> Option<IdNumber> {
        match IdNumber::parse_any_at(raw, self.ctx.today) {
            Ok(id) => Some(id),
            Err(e) => {
                self.err(path, e.rule, Some(raw), e.message);
                None
            }
        }
    }

    fn case(&mut self, input: &CaseInput) -> Option<Case> {
        // Reference.
        let reference = self.required_text("reference", input.reference.as_deref(), "reference");
        if let Some(r) = &reference {
            let n = r.chars().count();
            if n > 20 {
                self.err(
                    "reference",
                    "reference.length",
                    Some(r),
                    format!("reference has {n} characters, at most 20 are allowed"),
                );
            }
            if let Some(why) = super::reference::character_problem(r) {
                self.err("reference", "reference.characters", Some(r), why);
            }
        }
        // Kind.
        let kind = match input
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                self.required("kind", "kind");
                None
            }
            Some(k) => match CaseKind::parse(k) {
                Some(kind) => Some(kind),
                None => {
                    let all: Vec<&str> = CaseKind::ALL.iter().map(|k| k.as_str()).collect();
                    self.err(
                        "kind",
                        "kind.unknown",
                        Some(k),
                        format!("unknown kind {k:?}; expected one of {}", all.join(", ")),
                    );
                    None
                }
            },
        };
        // Intressentkod.
        let ik_raw = input
            .intressentkod
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.ctx.default_intressentkod)
            .to_string();
        let ik_ok = (1..=3).contains(&ik_raw.chars().count())
            && ik_raw.chars().all(|c| c.is_ascii_alphanumeric());
        if !ik_ok {
            self.err(
                "intressentkod",
                "intressentkod.format",
                Some(&ik_raw),
                format!("{ik_raw:?} is not 1–3 letters or digits"),
            );
        }
        // Without a kind, check what can be checked kind-independently and stop.
        let Some(kind) = kind else {
            let _ = self.parts_any_kind(input, CaseKind::Betalningsforelaggande, false);
            let _ = self.ref2_parts(input, CaseKind::Betalningsforelaggande, false);
            return None;
        };
        let parts = self.parts_any_kind(input, kind, true);
        let ref2 = self.ref2_parts(input, kind, true);
        let reference = reference?;
        let parts = parts?;
        let ref2 = ref2?;
        let concerns = if kind.is_follow_up() {
            Some(parts.concerns.unwrap_or_else(|| reference.clone()))
        } else {
            parts.concerns
        };
        let mut case = Case {
            reference,
            kind,
            intressentkod: ik_raw,
            creditor: parts.creditor,
            agent: parts.agent,
            customer_number: parts.customer_number,
            promissory_note: input.promissory_note.unwrap_or(false),
            debtors: parts.debtors,
            claims: parts.claims,
            title: parts.title,
            debt_restructuring_case: parts.debt_restructuring_case,
            concerns,
            malnummer: parts.malnummer,
            amount: parts.amount,
            claim_index: input.claim_index,
            date: parts.date,
            reason: parts.reason,
            change: parts.change,
            request: parts.request,
            original_creditor: ref2.original_creditor,
            requests: ref2.requests,
            paid_since_title: ref2.paid_since_title,
            decision_date: ref2.decision_date,
            publication_date: ref2.publication_date,
            deadline: ref2.deadline,
            security: ref2.security,
        };
        if kind == CaseKind::Fordringsanmalan {
            self.sks_interest(&mut case);
            self.issues
                .extend(deadline::deadline_passed(&case, self.ctx.today));
        }
        Some(case)
    }
}

struct Parts {
    creditor: Option<Party>,
    agent: Option<Party>,
    customer_number: Option<String>,
    malnummer: Option<String>,
    concerns: Option<String>,
    debtors: Vec<Debtor>,
    claims: Vec<Claim>,
    title: Option<Title>,
    debt_restructuring_case: Option<String>,
    date: Option<NaiveDate>,
    reason: Option<FollowUpReason>,
    amount: Option<Amount>,
    change: Option<Change>,
    request: Option<crate::domain::case::BegaranRequest>,
}

/// Reads `YYYY-MM-DD` (exactly: four, two and two digits) as a calendar date. Hand-written because it runs for
/// every date of every case at intake, where chrono's format-string parser showed in profiles.
fn iso_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod rules_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_dates_are_exact() {
        use chrono::Datelike;
        assert_eq!(iso_date("2026-02-09"), NaiveDate::from_ymd_opt(2026, 2, 9));
        assert_eq!(iso_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-09",
            "2026-01-9 ",
            "26-01-2026",
            "2026/01/09",
            "+202-01-01",
            "2026-0a-01",
            "",
            "20260109",
            "2026-01-09T00",
        ] {
            assert_eq!(iso_date(bad), None, "{bad:?}");
        }
        // The same answers as chrono's own parser on every well-formed day of four years.
        let mut d = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        while d.year() < 2027 {
            let text = d.format("%Y-%m-%d").to_string();
            assert_eq!(iso_date(&text), Some(d));
            d = d.succ_opt().unwrap();
        }
    }

    pub(super) fn ctx() -> ValidationContext {
        ValidationContext {
            rules: Rules::default(),
            today: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            default_intressentkod: "DEV".into(),
            interest: std::sync::Arc::new(ReferensrantaTable::embedded()),
        }
    }

    pub(super) fn bfo() -> serde_json::Value {
        json!({
          "reference": "A-2026-000123",
          "kind": "betalningsforelaggande",
          "intressentkod": "ABC",
          "creditor": { "id": "202100-5489", "name": "Exempel Kredit AB" },
          "customer_number": "K-4411",
          "debtors": [
            { "id": "19121212-1212", "name": "Tolvan Tolvansson",
              "street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm", "country": "SE" }
          ],
          "claims": [
            { "kind": "kapital", "amount": "1250.00", "due_date": "2026-02-09", "invoice_number": "F-1001",
              "basis": "Avgift för extra offentlig kontroll",
              "interest": { "kind": "reference_plus", "rate": "8.00", "from": "2026-02-10" } },
            { "kind": "inkassokostnad", "amount": "180.00", "basis": "Inkassokostnad enligt lag (1981:739) om ersättning för inkassokostnader m.m." }
          ]
        })
    }

    pub(super) fn run(v: serde_json::Value) -> Validation {
        let input: CaseInput = serde_json::from_value(v).unwrap();
        validate(&input, &ctx())
    }

    pub(super) fn with(
        mut base: serde_json::Value,
        pointer: &str,
        value: serde_json::Value,
    ) -> serde_json::Value {
        if let Some(slot) = base.pointer_mut(pointer) {
            *slot = value;
            return base;
        }
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        base.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.to_string(), value);
        base
    }

    /// Asserts exactly one issue with this rule and path, and returns it.
    pub(super) fn one(v: &Validation, rule: &str, path: &str) -> Issue {
        let hits: Vec<&Issue> = v
            .issues
            .iter()
            .filter(|i| i.rule == rule && i.path == path)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "expected one {rule} at {path}, got {:#?}",
            v.issues
        );
        hits[0].clone()
    }

    pub(super) fn error_rule(v: serde_json::Value, rule: &str, path: &str) -> Issue {
        let r = run(v);
        assert!(r.case.is_none(), "case should be invalid: {:#?}", r.issues);
        let i = one(&r, rule, path);
        assert_eq!(i.severity, Severity::Error);
        i
    }

    pub(super) fn warning_rule(v: serde_json::Value, rule: &str, path: &str) -> Issue {
        let r = run(v);
        assert!(r.case.is_some(), "warnings keep the case: {:#?}", r.issues);
        assert!(!r.has_errors());
        let i = one(&r, rule, path);
        assert_eq!(i.severity, Severity::Warning);
        i
    }

    #[test]
    fn the_spec_example_is_valid_and_normalised() {
        let r = run(bfo());
        assert!(r.issues.is_empty(), "{:#?}", r.issues);
        let c = r.case.unwrap();
        assert_eq!(c.kind, CaseKind::Betalningsforelaggande);
        assert_eq!(c.debtors[0].postal_code.as_deref(), Some("11122"));
        assert_eq!(c.debtors[0].id.as_ref().unwrap().digits, "191212121212");
        assert_eq!(c.claims[0].amount, Amount(125_000));
        assert_eq!(c.claims[0].interest.as_ref().unwrap().rate_bp, 800);
        assert_eq!(c.creditor.unwrap().id.digits, "162021005489");
        assert_eq!(c.concerns, None);
    }

    #[test]
    fn all_errors_reported_at_once() {
        let v = with(bfo(), "/debtors/0/id", json!("19121212-1213"));
        let v = with(v, "/claims/0/amount", json!("-5"));
        let v = with(v, "/debtors/0/postal_code", json!("1234"));
        let r = run(v);
        assert!(r.case.is_none());
        let rules: Vec<&str> = r.issues.iter().map(|i| i.rule.as_str()).collect();
        assert!(rules.contains(&"personnummer.checksum"), "{rules:?}");
        assert!(rules.contains(&"claim.amount_positive"), "{rules:?}");
        assert!(rules.contains(&"postal_code.format"), "{rules:?}");
        let i = one(&r, "personnummer.checksum", "debtors[0].id");
        assert_eq!(i.value.as_deref(), Some("19121212-1213"));
        assert_eq!(i.message, "check digit should be 2");
        assert_eq!(i.field, "id");
    }

    #[test]
    fn header_rules() {
        error_rule(
            with(bfo(), "/reference", json!("")),
            "field.required",
            "reference",
        );
        error_rule(
            with(bfo(), "/reference", json!("X".repeat(21))),
            "reference.length",
            "reference",
        );
        assert!(run(with(bfo(), "/reference", json!("X".repeat(20))))
            .case
            .is_some());
        error_rule(with(bfo(), "/kind", json!("bfo")), "kind.unknown", "kind");
        error_rule(
            with(bfo(), "/kind", serde_json::Value::Null),
            "field.required",
            "kind",
        );
        error_rule(
            with(bfo(), "/intressentkod", json!("ABCD")),
            "intressentkod.format",
            "intressentkod",
        );
        let r = run(with(bfo(), "/intressentkod", serde_json::Value::Null));
        assert_eq!(r.case.unwrap().intressentkod, "DEV");
        error_rule(
            with(bfo(), "/creditor", serde_json::Value::Null),
            "field.required",
            "creditor",
        );
        error_rule(
            with(bfo(), "/creditor/name", json!(" ")),
            "field.required",
            "creditor.name",
        );
        error_rule(
            with(bfo(), "/creditor/id", json!("202100-5488")),
            "organisationsnummer.checksum",
            "creditor.id",
        );
    }

    #[test]
    fn unknown_kind_still_reports_other_problems() {
        let v = with(bfo(), "/kind", json!("nope"));
        let v = with(v, "/claims/0/amount", json!("abc"));
        let r = run(v);
        one(&r, "kind.unknown", "kind");
        one(&r, "amount.format", "claims[0].amount");
    }

    #[test]
    fn debtor_rules() {
        error_rule(
            with(bfo(), "/debtors", json!([])),
            "debtors.count",
            "debtors",
        );
        let d = bfo()["debtors"][0].clone();
        let ten: Vec<_> = (0..10).map(|_| d.clone()).collect();
        error_rule(
            with(bfo(), "/debtors", json!(ten)),
            "debtors.count",
            "debtors",
        );
        let nine: Vec<_> = (0..9).map(|_| d.clone()).collect();
        assert!(run(with(bfo(), "/debtors", json!(nine))).case.is_some());
        error_rule(
            with(bfo(), "/debtors/0/name", serde_json::Value::Null),
            "field.required",
            "debtors[0].name",
        );
        error_rule(
            with(bfo(), "/debtors/0/id", json!("19121312-1211")),
            "personnummer.date",
            "debtors[0].id",
        );
        error_rule(
            with(bfo(), "/debtors/0/id", json!("1912121212x")),
            "personnummer.format",
            "debtors[0].id",
        );
        error_rule(
            with(bfo(), "/debtors/0/postal_code", json!("11 1 22")),
            "postal_code.format",
            "debtors[0].postal_code",
        );
        error_rule(
            with(bfo(), "/debtors/0/country", json!("Sverige")),
            "country.format",
            "debtors[0].country",
        );
        // Other countries: free-form postal codes.
        let v = with(
            with(bfo(), "/debtors/0/country", json!("NO")),
            "/debtors/0/postal_code",
            json!("N-0150"),
        );
        assert!(run(v).case.is_some());
        // No number → full address required.
        let v = with(
            with(bfo(), "/debtors/0/id", serde_json::Value::Null),
            "/debtors/0/city",
            serde_json::Value::Null,
        );
        error_rule(v, "debtor.address_required", "debtors[0].city");
        let v = with(bfo(), "/debtors/0/id", serde_json::Value::Null);
        assert!(run(v).case.unwrap().debtors[0].id.is_none());
    }

    #[test]
    fn text_must_be_latin1_after_normalisation() {
        let i = error_rule(
            with(bfo(), "/debtors/0/name", json!("Åsa 日本")),
            "text.latin1",
            "debtors[0].name",
        );
        assert!(
            i.message.contains("'日'") && i.message.contains("position 5"),
            "{}",
            i.message
        );
        let r = run(with(bfo(), "/debtors/0/name", json!("  Łukasz \t Øberg  ")));
        assert_eq!(r.case.unwrap().debtors[0].name, "Lukasz Øberg");
        // The basis is kept whole (no truncation), only normalised.
        let long = "Grund ".repeat(60);
        let r = run(with(bfo(), "/claims/0/basis", json!(long)));
        assert_eq!(
            r.case.unwrap().claims[0].basis.as_deref(),
            Some(long.trim())
        );
    }

    #[test]
    fn claim_rules() {
        error_rule(with(bfo(), "/claims", json!([])), "claims.count", "claims");
        let c = bfo()["claims"][1].clone();
        let many: Vec<_> = (0..21).map(|_| c.clone()).collect();
        error_rule(
            with(bfo(), "/claims", json!(many)),
            "claims.count",
            "claims",
        );
        error_rule(
            with(bfo(), "/claims/0/amount", json!("0")),
            "claim.amount_positive",
            "claims[0].amount",
        );
        error_rule(
            with(bfo(), "/claims/0/amount", json!("1.234")),
            "amount.format",
            "claims[0].amount",
        );
        error_rule(
            with(bfo(), "/claims/0/amount", serde_json::Value::Null),
            "field.required",
            "claims[0].amount",
        );
        error_rule(
            with(bfo(), "/claims/0/kind", json!("kapitel")),
            "claim.kind",
            "claims[0].kind",
        );
        error_rule(
            with(bfo(), "/claims/0/due_date", serde_json::Value::Null),
            "field.required",
            "claims[0].due_date",
        );
        error_rule(
            with(bfo(), "/claims/0/basis", json!("")),
            "field.required",
            "claims[0].basis",
        );
        error_rule(
            with(bfo(), "/claims/0/due_date", json!("2026-13-01")),
            "date.format",
            "claims[0].due_date",
        );
        error_rule(
            with(bfo(), "/claims/0/due_date", json!("2026-3-1")),
            "date.format",
            "claims[0].due_date",
        );
        let v = with(bfo(), "/claims/0/due_date", json!("2026-03-02"));
        let v = with(v, "/claims/0/interest/from", json!("2026-03-02"));
        error_rule(v, "claim.due_date_future", "claims[0].due_date");
        error_rule(
            with(bfo(), "/claims/0/interest/rate", json!("50.01")),
            "interest.rate_range",
            "claims[0].interest.rate",
        );
        assert!(run(with(bfo(), "/claims/0/interest/rate", json!("50")))
            .case
            .is_some());
        assert!(run(with(bfo(), "/claims/0/interest/rate", json!(0)))
            .case
            .is_some());
        error_rule(
            with(bfo(), "/claims/0/interest/rate", json!("åtta")),
            "interest.rate_format",
            "claims[0].interest.rate",
        );
        error_rule(
            with(bfo(), "/claims/0/interest/kind", json!("daily")),
            "interest.kind",
            "claims[0].interest.kind",
        );
        error_rule(
            with(bfo(), "/claims/0/interest/from", json!("2026-02-08")),
            "interest.from_before_due",
            "claims[0].interest.from",
        );
        error_rule(
            with(bfo(), "/claims/0/accrued_interest", json!("10")),
            "field.not_allowed",
            "claims[0].accrued_interest",
        );
        // Amount notations of intake.md §1.
        let r = run(with(bfo(), "/claims/0/amount", json!("1 250,5")));
        assert_eq!(r.case.unwrap().claims[0].amount, Amount(125_050));
    }

    #[test]
    fn cost_caps_and_limitation_are_warnings() {
        let i = warning_rule(
            with(bfo(), "/claims/1/amount", json!("180.01")),
            "cost.cap",
            "claims[1].amount",
        );
        assert_eq!(i.value.as_deref(), Some("180.01"));
        let v = with(bfo(), "/claims/1/kind", json!("paminnelseavgift"));
        warning_rule(
            with(v, "/claims/1/amount", json!("61")),
            "cost.cap",
            "claims[1].amount",
        );
        assert!(
            run(with(bfo(), "/claims/1/kind", json!("paminnelseavgift")))
                .issues
                .iter()
                .any(|i| i.rule == "cost.cap")
        );
        let v = with(bfo(), "/claims/1/kind", json!("annan_kostnad"));
        assert!(run(with(v, "/claims/1/amount", json!("5000")))
            .issues
            .is_empty());
        // förseningsersättning: consumer → warning; business debtor within cap → fine; above cap → warning.
        let v = with(bfo(), "/claims/1/kind", json!("forseningsersattning"));
        warning_rule(
            v.clone(),
            "cost.forseningsersattning_consumer",
            "claims[1].kind",
        );
        let biz = with(v, "/debtors/0/id", json!("556036-0793"));
        assert!(
            run(biz.clone()).issues.is_empty(),
            "{:#?}",
            run(biz.clone()).issues
        );
        warning_rule(
            with(biz, "/claims/1/amount", json!("450.01")),
            "cost.cap",
            "claims[1].amount",
        );
        // Limitation: 3 years for consumers, 10 otherwise.
        let old = with(bfo(), "/claims/0/due_date", json!("2023-02-28"));
        let old = with(old, "/claims/0/interest/from", json!("2023-03-01"));
        warning_rule(old.clone(), "limitation", "claims[0].due_date");
        let recent = with(
            with(bfo(), "/claims/0/due_date", json!("2023-03-01")),
            "/claims/0/interest/from",
            json!("2023-03-01"),
        );
        assert!(run(recent).issues.is_empty());
        let biz_old = with(old, "/debtors/0/id", json!("556036-0793"));
        assert!(run(biz_old.clone()).issues.is_empty());
        let very_old = with(
            with(biz_old, "/claims/0/due_date", json!("2016-02-01")),
            "/claims/0/interest/from",
            json!("2016-02-01"),
        );
        warning_rule(very_old, "limitation", "claims[0].due_date");
    }

    fn follow_up(kind: &str) -> serde_json::Value {
        json!({ "reference": "A-2026-000123", "kind": kind, "date": "2026-02-20" })
    }

    #[test]
    fn nedsattning_rules() {
        let ok = with(
            with(follow_up("nedsattning"), "/date", json!("2026-02-20")),
            "",
            json!({
                "reference": "N-1", "kind": "nedsattning", "date": "2026-02-20", "reason": "betalning", "amount": "100"
            }),
        );
        let c = run(ok.clone()).case.unwrap();
        assert_eq!(
            c.concerns.as_deref(),
            Some("N-1"),
            "concerns defaults to the own reference"
        );
        assert_eq!(c.amount, Some(Amount(10_000)));
        let mut v = ok.clone();
        v["concerns"] = json!("A-1");
        assert_eq!(run(v).case.unwrap().concerns.as_deref(), Some("A-1"));
        error_rule(
            with(ok.clone(), "/amount", serde_json::Value::Null),
            "field.required",
            "amount",
        );
        error_rule(
            with(ok.clone(), "/amount", json!("0")),
            "amount.positive",
            "amount",
        );
        error_rule(
            with(ok.clone(), "/reason", json!("betald")),
            "reason.not_allowed",
            "reason",
        );
        error_rule(
            with(ok.clone(), "/reason", serde_json::Value::Null),
            "field.required",
            "reason",
        );
        error_rule(
            with(ok.clone(), "/date", serde_json::Value::Null),
            "field.required",
            "date",
        );
        error_rule(
            with(ok.clone(), "/date", json!("2026-03-02")),
            "date.future",
            "date",
        );
        let mut v = ok.clone();
        v["debtors"] = bfo()["debtors"].clone();
        error_rule(v, "field.not_allowed", "debtors");
        let mut v = ok;
        v["claims"] = bfo()["claims"].clone();
        error_rule(v, "field.not_allowed", "claims");
    }

    #[test]
    fn aterkallelse_rules() {
        let ok = with(follow_up("aterkallelse"), "/date", json!("2026-02-20"));
        let mut ok = ok;
        ok["reason"] = json!("avbetalningsplan");
        assert!(run(ok.clone()).case.is_some());
        error_rule(
            with(ok.clone(), "/reason", json!("betalning")),
            "reason.not_allowed",
            "reason",
        );
        let mut v = ok;
        v["amount"] = json!("5");
        error_rule(v, "field.not_allowed", "amount");
    }

    #[test]
    fn verkstallighet_rules() {
        let mut v = bfo();
        v["kind"] = json!("verkstallighet");
        v["title"] = json!({ "kind": "utslag", "reference": "12-345678-26", "date": "2026-01-15" });
        v["claims"][0]["accrued_interest"] = json!("12.50");
        v["claims"][0]["costs"] = json!("300");
        let c = run(v.clone()).case.unwrap();
        assert_eq!(c.title.unwrap().reference, "12-345678-26");
        assert_eq!(c.claims[0].accrued_interest, Some(Amount(1250)));
        error_rule(
            with(v.clone(), "/title", serde_json::Value::Null),
            "field.required",
            "title",
        );
        error_rule(
            with(v.clone(), "/title/kind", json!("beslut")),
            "title.kind",
            "title.kind",
        );
        error_rule(
            with(v.clone(), "/title/date", json!("2027-01-01")),
            "date.future",
            "title.date",
        );
        error_rule(
            with(v.clone(), "/title/reference", json!("")),
            "field.required",
            "title.reference",
        );
        error_rule(
            with(v.clone(), "/claims/0/costs", json!("-1")),
            "amount.positive",
            "claims[0].costs",
        );
        let mut b = bfo();
        b["title"] = v["title"].clone();
        error_rule(b, "field.not_allowed", "title");
    }

    #[test]
    fn andring_rules() {
        let base = json!({ "reference": "V-1", "kind": "verkstallighet_andring", "date": "2026-02-20",
                           "change": { "kind": "belopp", "amount": "500" } });
        let c = run(base.clone()).case.unwrap();
        assert_eq!(c.change.unwrap().amount, Some(Amount(50_000)));
        error_rule(
            with(base.clone(), "/change", serde_json::Value::Null),
            "field.required",
            "change",
        );
        error_rule(
            with(base.clone(), "/change/kind", json!("x")),
            "change.kind",
            "change.kind",
        );
        error_rule(
            with(base.clone(), "/change/amount", serde_json::Value::Null),
            "field.required",
            "change.amount",
        );
        let upp = with(
            base.clone(),
            "/change",
            json!({ "kind": "uppskov", "until": "2026-06-01" }),
        );
        assert_eq!(
            run(upp.clone()).case.unwrap().change.unwrap().until,
            NaiveDate::from_ymd_opt(2026, 6, 1)
        );
        error_rule(
            with(upp.clone(), "/change/until", json!("2026-02-01")),
            "change.until_past",
            "change.until",
        );
        error_rule(
            with(upp, "/change/until", serde_json::Value::Null),
            "field.required",
            "change.until",
        );
        let ater = with(
            base,
            "/change",
            json!({ "kind": "aterkallelse", "amount": "5" }),
        );
        error_rule(ater, "field.not_allowed", "change.amount");
    }

    #[test]
    fn fordringsanmalan_rules() {
        let mut v = bfo();
        v["kind"] = json!("fordringsanmalan");
        v["debt_restructuring_case"] = json!("SKS-2026-001");
        assert!(
            run(v.clone()).case.is_some(),
            "{:#?}",
            run(v.clone()).issues
        );
        error_rule(
            with(
                v.clone(),
                "/debt_restructuring_case",
                serde_json::Value::Null,
            ),
            "field.required",
            "debt_restructuring_case",
        );
        let d = v["debtors"][0].clone();
        error_rule(
            with(v.clone(), "/debtors", json!([d.clone(), d])),
            "debtors.count",
            "debtors",
        );
        let mut b = bfo();
        b["debt_restructuring_case"] = json!("SKS-1");
        error_rule(b, "field.not_allowed", "debt_restructuring_case");
        // Future due dates are allowed outside BFÖ.
        let v = with(
            with(v, "/claims/0/due_date", json!("2026-04-01")),
            "/claims/0/interest/from",
            json!("2026-04-01"),
        );
        assert!(run(v).case.is_some());
    }

    fn ids_dir() -> std::path::PathBuf {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/ids");
        assert!(
            dir.is_dir(),
            "test data folder {} is missing (expected the shared folder beside the crate)",
            dir.display()
        );
        dir
    }

    fn debtor_with_id(id: &str) -> Validation {
        run(with(bfo(), "/debtors/0/id", json!(id)))
    }

    #[test]
    fn every_personnummer_of_the_shared_test_list() {
        let text = std::fs::read_to_string(ids_dir().join("personnummer-list.json")).unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(list.len() >= 10);
        let mut checked = 0;
        for e in &list {
            let valid = e["valid"].as_bool().unwrap();
            let is_con = e["type"] == "con";
            for key in [
                "long_format",
                "short_format",
                "separated_format",
                "separated_long",
            ] {
                let id = e[key].as_str().unwrap();
                let r = debtor_with_id(id);
                if valid {
                    let c = r.case.unwrap_or_else(|| {
                        panic!("{id} ({key}) should be accepted: {:#?}", r.issues)
                    });
                    let got = c.debtors[0].id.clone().unwrap();
                    assert_eq!(
                        got.kind == crate::domain::IdKind::Samordningsnummer,
                        is_con,
                        "{id}"
                    );
                    assert!(!got.is_organisation());
                    if key.contains("long") {
                        assert_eq!(
                            got.digits,
                            e["long_format"].as_str().unwrap(),
                            "{id} stored as 12 digits"
                        );
                    }
                } else {
                    assert!(r.case.is_none(), "{id} ({key}) should be refused");
                    let i = r
                        .issues
                        .iter()
                        .find(|i| i.path == "debtors[0].id")
                        .unwrap_or_else(|| panic!("{id}: no id issue: {:#?}", r.issues));
                    assert!(i.rule.starts_with("personnummer."), "{id}: {}", i.rule);
                    assert!(!i.message.is_empty());
                }
                checked += 1;
            }
        }
        assert_eq!(checked, list.len() * 4);
    }

    #[test]
    fn every_organisationsnummer_of_the_shared_test_list() {
        let text =
            std::fs::read_to_string(ids_dir().join("organisationsnummer-list.json")).unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(!list.is_empty());
        for e in &list {
            for key in ["short_format", "separated_format"] {
                let id = e[key].as_str().unwrap();
                let r = debtor_with_id(id);
                let c = r
                    .case
                    .unwrap_or_else(|| panic!("{id} should be a company debtor: {:#?}", r.issues));
                assert!(c.debtors[0].is_business(), "{id}");
                assert_eq!(
                    c.debtors[0].id.as_ref().unwrap().digits,
                    format!("16{}", e["short_format"].as_str().unwrap())
                );
                // Also accepted as creditor.
                let r = run(with(bfo(), "/creditor/id", json!(id)));
                assert!(r.case.is_some(), "{id} as creditor");
            }
        }
    }
}
