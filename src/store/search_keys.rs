//! The console's search keys of a newly inserted case that live inside its JSON (`case_keys`, migration 0010): from
//! the validated case, else the input as read, the customer number, the målnummer a follow-up names and each claim's
//! invoice number, each once. The reference and the målnummer column are searched through `cases`' own indexes.
//! Written by the store's insert path from the JSON it already holds, in one multi-row statement per chunk: an
//! `AFTER INSERT` trigger that parsed each case's JSON in SQL made an import of 100,000 cases 2.8 times as long.
//! Replacements are rare and stay with the `case_keys_update` trigger, which applies the same rule in SQL.

use super::cases::NewCase;
use super::{with_tx, StoreError, StoreTx};
use serde::Deserialize;
use serde_json::Value;

/// Rows per INSERT (two bound values each; SQLite allows 32,766).
const KEY_CHUNK: usize = 5_000;

/// The only fields read; everything else is skipped without being built.
#[derive(Deserialize)]
struct KeyFields {
    #[serde(default)]
    customer_number: Option<Value>,
    #[serde(default)]
    malnummer: Option<Value>,
    #[serde(default)]
    claims: Option<Value>,
}

/// A JSON scalar as the key text SQL's `->>`/`json_extract` gives (strings as they are, numbers printed).
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The keys of `case` (call before its JSON is moved out), without repeats: those the engine computed from the
/// typed case ([`NewCase::search_keys`], taken out), else found in its JSON. An input that is not a JSON object
/// gives none.
pub(crate) fn search_keys(case: &mut NewCase) -> Vec<String> {
    match case.search_keys.take() {
        Some(keys) => keys,
        None => keys_from_json(case),
    }
}

/// The rule of [`search_keys`] over typed values: the customer number, the målnummer, each claim's invoice number,
/// in this order, non-empty, each once — what the JSON of the case holding these values gives, without parsing it
/// (the engine calls this where it has the typed case; a JSON parse per case was 6.6 % of an import's CPU).
pub fn keys_of<'a>(
    customer_number: Option<&'a str>,
    malnummer: Option<&'a str>,
    invoice_numbers: impl Iterator<Item = Option<&'a str>>,
) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let found = [customer_number, malnummer]
        .into_iter()
        .chain(invoice_numbers)
        .flatten();
    for k in found {
        if !k.is_empty() && !keys.iter().any(|x| x == k) {
            keys.push(k.to_string());
        }
    }
    keys
}

/// The keys found in the case's JSON (the validated case, else the input as read): the fallback for a case whose
/// producer gave no typed keys.
fn keys_from_json(case: &NewCase) -> Vec<String> {
    let json = case.case_json.as_deref().unwrap_or(&case.input_json);
    // Only an object has fields (serde would also fill the struct from an array, by position).
    if !json.trim_start().starts_with('{') {
        return Vec::new();
    }
    let Ok(doc) = serde_json::from_str::<KeyFields>(json) else {
        return Vec::new();
    };
    let invoices = match &doc.claims {
        Some(Value::Array(claims)) => claims
            .iter()
            .filter_map(|c| c.as_object()?.get("invoice_number"))
            .collect(),
        _ => Vec::new(),
    };
    let found = [doc.customer_number.as_ref(), doc.malnummer.as_ref()]
        .into_iter()
        .flatten()
        .chain(invoices);
    let mut keys: Vec<String> = Vec::new();
    for k in found.filter_map(key_text) {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// Writes `(case id, key)` rows.
pub(crate) async fn insert_case_keys(
    tx: &mut StoreTx<'_>,
    rows: &[(i64, String)],
) -> Result<(), StoreError> {
    with_tx!(tx, |t, DB| {
        for chunk in rows.chunks(KEY_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new("INSERT INTO case_keys (case_id, key) ");
            qb.push_values(chunk, |mut b, (id, key)| {
                b.push_bind(*id).push_bind(key.as_str());
            });
            qb.build().execute(&mut **t).await?;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CaseState;

    fn case(case_json: Option<&str>, input_json: &str, malnummer: Option<&str>) -> NewCase {
        NewCase {
            reference: "R-1".into(),
            kind: "betalningsforelaggande".into(),
            intressentkod: "IK".into(),
            state: CaseState::Journal,
            input_json: input_json.into(),
            case_json: case_json.map(str::to_string),
            content_hash: "h".into(),
            issues_json: "[]".into(),
            hold_reason: None,
            concerns: None,
            malnummer: malnummer.map(str::to_string),
            source: None,
            source_line: None,
            search_keys: None,
            debtor_keys: None,
        }
    }

    #[test]
    fn keys_as_the_update_trigger_finds_them() {
        let json = r#"{"customer_number":"K-7","debtors":[{"name":"x"}],
            "claims":[{"invoice_number":"F-1"},{"amount":"1"},7,{"invoice_number":""},{"invoice_number":42},
            {"invoice_number":"F-1"}]}"#;
        assert_eq!(
            search_keys(&mut case(Some(json), "", None)),
            ["K-7", "F-1", "42"]
        );
        // The input when there is no validated case; a value given twice is one key.
        let follow_up = r#"{"malnummer":"BF-1-26","customer_number":"BF-1-26"}"#;
        assert_eq!(
            search_keys(&mut case(None, follow_up, Some("BF-1-26"))),
            ["BF-1-26"]
        );
        assert_eq!(
            search_keys(&mut case(None, r#"{"malnummer":"BF-2-26"}"#, None)),
            ["BF-2-26"]
        );
        for broken in ["not json", "[1,2]", r#"{"claims":{"invoice_number":"F"}}"#] {
            assert!(
                search_keys(&mut case(None, broken, None)).is_empty(),
                "{broken}"
            );
        }
    }

    /// Keys given by the engine are taken as they are (no JSON read), and the typed rule gives what the JSON rule
    /// gives for the same values.
    #[test]
    fn typed_keys_follow_the_same_rule() {
        let mut given = case(Some(r#"{"customer_number":"K-9"}"#), "", None);
        given.search_keys = Some(vec!["T-1".into()]);
        assert_eq!(search_keys(&mut given), ["T-1"]);
        assert_eq!(given.search_keys, None);
        let typed = keys_of(
            Some("K-7"),
            None,
            [Some("F-1"), None, Some(""), Some("42"), Some("F-1")].into_iter(),
        );
        let json = r#"{"customer_number":"K-7","claims":[{"invoice_number":"F-1"},{},{"invoice_number":""},
            {"invoice_number":"42"},{"invoice_number":"F-1"}]}"#;
        assert_eq!(typed, search_keys(&mut case(Some(json), "", None)));
        assert_eq!(typed, ["K-7", "F-1", "42"]);
        assert_eq!(
            keys_of(Some("BF-1-26"), Some("BF-1-26"), std::iter::empty()),
            ["BF-1-26"]
        );
        assert!(keys_of(Some(""), None, std::iter::empty()).is_empty());
    }
}
