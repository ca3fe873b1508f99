//! The OpenAPI document (`GET /api/v1/openapi.json`) passes a real validator (`openapi-spec-validator` from PyPI,
//! installed by `.ci/run`), and its schemas describe every field the intake structs accept: the field lists are
//! taken from the structs' own `Deserialize` (serde names every accepted field when it refuses an unknown one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::Command;

/// Runs `openapi-spec-validator` on `doc`; its exit status and output.
fn validate(doc: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let out = Command::new("openapi-spec-validator")
        .arg("--schema")
        .arg("3.1")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "openapi-spec-validator could not be run ({e}): install it with \
                 `pip install openapi-spec-validator` (.ci/run does)"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_document_passes_openapi_spec_validator() {
    let doc = fogd::api::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let (ok, out) = validate(&doc);
    assert!(ok, "openapi-spec-validator refused the document:\n{out}");

    // The validator does refuse a broken document (a schema reference to nothing, an operation without answers).
    let mut broken = doc.clone();
    broken["paths"]["/stats"]["get"]["responses"] = Value::String("none".into());
    let (ok, out) = validate(&broken);
    assert!(!ok, "a broken document passed:\n{out}");
}

/// The field names `T`'s `Deserialize` accepts, read from serde's refusal of an unknown field in `wrap(probe)`.
fn accepted_fields<T: serde::de::DeserializeOwned + std::fmt::Debug>(wrap: &str) -> Vec<String> {
    let json = wrap.replace("PROBE", r#"{"no_such_field_zz": 1}"#);
    let err = serde_json::from_str::<T>(&json).unwrap_err().to_string();
    // serde says "expected `a`", "expected `a` or `b`" or "expected one of `a`, `b`, …".
    let list = err
        .split_once(", expected ")
        .and_then(|(_, l)| l.split(" at line ").next())
        .unwrap_or_else(|| panic!("no field list in {err:?}"));
    let fields: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(!fields.is_empty(), "{err}");
    fields
}

#[test]
fn every_intake_field_is_in_the_schemas() {
    use fogd::domain::case::{CaseInput, READ_ONLY_FIELDS};
    let doc = fogd::api::openapi::document();
    let schemas = &doc["components"]["schemas"];
    for (schema, wrap) in [
        ("CaseInput", "PROBE"),
        ("PartyInput", r#"{"creditor": PROBE}"#),
        ("DebtorInput", r#"{"debtors": [PROBE]}"#),
        ("ClaimInput", r#"{"claims": [PROBE]}"#),
        ("InterestInput", r#"{"claims": [{"interest": PROBE}]}"#),
        ("TitleInput", r#"{"title": PROBE}"#),
        ("ChangeInput", r#"{"change": PROBE}"#),
        ("OriginalCreditorInput", r#"{"original_creditor": PROBE}"#),
        ("RequestsInput", r#"{"requests": PROBE}"#),
        ("SecurityInput", r#"{"security": PROBE}"#),
    ] {
        let props = schemas[schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties in schema {schema}: {}", schemas[schema]));
        let additions = schemas["CaseAdditions"]["properties"].as_object().unwrap();
        let mut fields = accepted_fields::<CaseInput>(wrap);
        if schema == "CaseInput" {
            // The read-only members of an answer, accepted and ignored, are described in CaseAdditions.
            for f in READ_ONLY_FIELDS {
                assert!(fields.iter().any(|x| x == f), "{f} not accepted");
                assert!(additions.contains_key(*f), "CaseAdditions lacks {f}");
            }
            fields.retain(|f| !READ_ONLY_FIELDS.contains(&f.as_str()));
        }
        for f in &fields {
            let p = props
                .get(f)
                .unwrap_or_else(|| panic!("{schema}.{f} is accepted but not in the schema"));
            assert!(
                p.get("description").is_some()
                    || p.get("$ref").is_some()
                    || p.get("oneOf").is_some(),
                "{schema}.{f} has no description: {p}"
            );
        }
        assert_eq!(
            props.len(),
            fields.len(),
            "{schema}: {fields:?} vs {props:?}"
        );
    }
    // The POST /cases body is the case (or an array of cases), not a bare object.
    let body =
        &doc["paths"]["/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(
        body["oneOf"][0]["$ref"], "#/components/schemas/CaseInput",
        "{body}"
    );
    assert_eq!(
        body["oneOf"][1]["items"]["$ref"],
        "#/components/schemas/CaseInput"
    );
    // Amounts are described as decimal strings or numbers.
    let amount = &schemas["ClaimInput"]["properties"]["amount"];
    assert!(amount.to_string().contains("\"string\""), "{amount}");
}

#[test]
fn every_answer_of_every_operation_is_described() {
    let doc = fogd::api::openapi::document();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let answers = op["responses"].as_object().unwrap();
            assert!(!answers.is_empty(), "{method} {path}");
            for (code, a) in answers {
                assert!(
                    a["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {code}"
                );
            }
            // An operation behind a token documents the answers without one and with the wrong role.
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                for code in ["401", "403"] {
                    assert!(answers.contains_key(code), "{method} {path}: no {code}");
                }
            }
            // A JSON success answer names its schema.
            let ok = answers.iter().find(|(c, _)| c.starts_with('2')).unwrap().1;
            if let Some(json) = ok["content"].get("application/json") {
                assert!(json["schema"].is_object(), "{method} {path}: {ok}");
            }
        }
    }
}
