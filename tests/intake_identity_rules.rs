//! intake.md §5 and issue 15 point 5: identity and address rules that used to give wrong answers, through the whole
//! intake validation (JSON in, rule and path out). Each case here was accepted before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fogd::domain::case::CaseInput;
use fogd::domain::validate::{validate, Rules, Severity, Validation, ValidationContext};
use serde_json::json;

fn ctx() -> ValidationContext {
    ValidationContext {
        rules: Rules::default(),
        today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        default_intressentkod: "DEV".into(),
        interest: std::sync::Arc::new(fogd::domain::interest::ReferensrantaTable::embedded()),
    }
}

fn case(debtor_id: &str, postal_code: &str) -> Validation {
    let v = json!({
      "reference": "R-1",
      "kind": "betalningsforelaggande",
      "intressentkod": "DEV",
      "creditor": { "id": "202100-5489", "name": "Exempel Kredit AB" },
      "debtors": [
        { "id": debtor_id, "name": "Tolvan Tolvansson",
          "street": "Storgatan 1", "postal_code": postal_code, "city": "Stockholm", "country": "SE" }
      ],
      "claims": [
        { "kind": "kapital", "amount": "1250.00", "due_date": "2026-02-09", "basis": "Faktura F-1001" }
      ]
    });
    let input: CaseInput = serde_json::from_value(v).unwrap();
    validate(&input, &ctx())
}

fn the_error(v: &Validation) -> (&str, &str) {
    assert!(v.case.is_none(), "should be invalid: {:#?}", v.issues);
    let errors: Vec<_> = v
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    (errors[0].rule.as_str(), errors[0].path.as_str())
}

/// The Luhn check digit of nine digits.
fn check(nine: &str) -> u32 {
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    (10 - sum % 10) % 10
}

#[test]
fn a_twelve_digit_personnummer_born_in_the_future_is_invalid() {
    let id = format!("20991212-121{}", check("991212121"));
    assert_eq!(
        the_error(&case(&id, "111 22")),
        ("personnummer.future", "debtors[0].id")
    );
}

#[test]
fn plus_on_a_twelve_digit_number_must_agree_with_the_century() {
    assert_eq!(
        the_error(&case("20121212+1212", "111 22")),
        ("personnummer.plus", "debtors[0].id")
    );
    let ok = case("19121212+1212", "111 22");
    assert!(ok.case.is_some(), "{:#?}", ok.issues);
    assert_eq!(
        ok.case.unwrap().debtors[0].id.as_ref().unwrap().digits,
        "191212121212"
    );
}

#[test]
fn postnummer_00000_is_not_swedish() {
    assert_eq!(
        the_error(&case("19121212-1212", "000 00")),
        ("postal_code.range", "debtors[0].postal_code")
    );
    let ok = case("19121212-1212", "981 31");
    assert!(ok.case.is_some(), "{:#?}", ok.issues);
}
