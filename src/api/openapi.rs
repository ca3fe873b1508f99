//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the JSON API. The schemas are derived from the Rust
//! types by `utoipa` (the intake form [`CaseInput`] and its parts, the answers [`CaseView`], [`RetryAnswer`],
//! [`ErrorBody`], the states); the paths and their prose are listed here beside the handlers, referring to those
//! schemas. A test checks that every documented path answers and every API route is documented; `tests/openapi.rs`
//! runs a real OpenAPI validator on the document.

use super::case_answer::{CaseAdditions, EventView, FileRef};
use super::files::{FileView, RetryAnswer};
use super::handlers::CaseView;
use crate::domain::case::{
    CaseInput, ChangeInput, ClaimInput, DebtorInput, InterestInput, OriginalCreditorInput,
    PartyInput, RequestsInput, SecurityInput, TitleInput,
};
use axum::Json;
use serde_json::{json, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::OpenApi;

/// The body of every error answer under `/api/` (`{"error": …}`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}

/// The schema of a state or kind enum (`named_enum!`): a string, one of its `ALL` names.
macro_rules! named_enum_schema {
    ($($ty:ty => $description:literal),+ $(,)?) => {$(
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(<$ty>::ALL.iter().map(|s| s.as_str())))
                    .description(Some($description))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    )+};
}

named_enum_schema! {
    crate::domain::CaseState => "Where a case stands (ARCHITECTURE.md, state machines)",
    crate::domain::FileState => "Where a file stands (ARCHITECTURE.md, state machines)",
    crate::domain::state::MessageKind => "What an inbound message is",
    crate::formats::KvittensStatus => "G: the file was accepted, U: rejected whole",
}

/// The derived schemas (`components.schemas`).
#[derive(OpenApi)]
#[openapi(components(schemas(
    CaseInput,
    PartyInput,
    DebtorInput,
    ClaimInput,
    InterestInput,
    TitleInput,
    ChangeInput,
    OriginalCreditorInput,
    RequestsInput,
    SecurityInput,
    CaseView,
    CaseAdditions,
    FileRef,
    EventView,
    crate::domain::ledger::Ledger,
    super::life::RequestBody,
    super::life::PaperDecisionBody,
    RetryAnswer,
    FileView,
    crate::store::FileRow,
    crate::store::ops::ReceiptRow,
    crate::store::InboundRow,
    crate::domain::FileState,
    crate::domain::state::MessageKind,
    crate::formats::KvittensStatus,
    ErrorBody,
    crate::domain::CaseState,
    crate::engine::import::ImportSummary,
    crate::engine::import::Problem,
    crate::domain::validate::Severity
)))]
struct Schemas;

/// A `$ref` to the derived schema `name`.
fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A JSON answer whose body is `body` (a schema).
fn json_answer(description: &str, body: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": body}}})
}

/// The API paths (relative to `/api/v1`) and their methods, as documented.
pub const PATHS: &[(&str, &str)] = &[
    ("/cases", "post"),
    ("/cases", "get"),
    ("/cases/{reference}", "get"),
    ("/cases/{reference}/requests", "post"),
    ("/cases/{reference}/decisions", "post"),
    ("/journal/approve", "post"),
    ("/journal/hold", "post"),
    ("/files", "get"),
    ("/files/{id}", "get"),
    ("/files/{id}/raw", "get"),
    ("/files/{id}/retry", "post"),
    ("/receipts", "get"),
    ("/stats", "get"),
    ("/openapi.json", "get"),
];

fn op(summary: &str, roles: &str, extra: Value) -> Value {
    let mut o = json!({
        "summary": summary,
        "description": format!("Roles: {roles}."),
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": json_answer("No or unknown token", schema("ErrorBody")),
            "403": json_answer("The token's role may not do this", schema("ErrorBody"))
        }
    });
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            match (o.get_mut("responses"), k.as_str(), v.as_object()) {
                // Answers are merged: the extra ones replace the defaults of the same code (and the default 200
                // when the operation names its own success), the 401 and 403 stay.
                (Some(Value::Object(answers)), "responses", Some(extra)) => {
                    if extra.keys().any(|c| c.starts_with('2')) {
                        answers.remove("200");
                    }
                    for (code, a) in extra {
                        answers.insert(code.clone(), a.clone());
                    }
                }
                _ => {
                    o.insert(k.clone(), v.clone());
                }
            }
        }
    }
    o
}

/// A page of a list endpoint: `{KEY: [ITEM…], limit, offset}`.
fn page_of(key: &str, item: &str) -> Value {
    json!({"type": "object", "required": [key, "limit", "offset"], "properties": {
        key: {"type": "array", "items": schema(item)}, "limit": {"type": "integer"}, "offset": {"type": "integer"}
    }})
}

/// The answer of `POST /cases` (200, 201 and 422).
fn intake_answer() -> Value {
    json!({"type": "object", "required": ["summary", "problems", "cases"], "properties": {
        "summary": schema("ImportSummary"),
        "problems": {"type": "array", "items": schema("Problem")},
        "problems_total": {"type": "integer"},
        "problems_omitted": {"type": "integer"},
        "cases": {"type": "array", "items": {"type": "object", "properties": {
            "reference": {"type": "string"}, "kind": {"type": "string"}, "intressentkod": {"type": "string"}, "state": schema("CaseState")
        }}}
    }})
}

/// The document: the derived schemas, plus the paths listed here.
pub fn document() -> Value {
    let derived = serde_json::to_value(Schemas::openapi()).unwrap_or_else(|_| json!({}));
    let schemas = derived["components"]["schemas"].clone();
    let hand = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fogd API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit cases to Kronofogden's file services through fogd, review the journal, follow cases."
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "fogd token create --role R --name N"}},
            "schemas": schemas
        },
        "paths": {
            "/cases": {
                "post": op("Submit one case (object) or many (array, JSON Lines or CSV) in the intake form; idempotent on reference. The read-only members of a GET /cases/{reference} answer (state, hold_reason, issues, created_at, updated_at, file, rejection, decision, events) are accepted and ignored", "submitter, admin", json!({
                    "requestBody": {"required": true, "content": {
                        "application/json": {"schema": {"oneOf": [schema("CaseInput"), {"type": "array", "items": schema("CaseInput")}]}},
                        "application/x-ndjson": {"schema": {"type": "string", "description": "one CaseInput object per line"}},
                        "text/csv": {"schema": {"type": "string", "description": "intake.md §2"}}
                    }},
                    "responses": {
                        "200": json_answer("Nothing new (every case unchanged)", intake_answer()),
                        "201": json_answer("Cases stored for the journal: problems at most [limits] max_problems_in_answer", intake_answer()),
                        "400": {"description": "Unreadable body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role"},
                        "413": {"description": "Body larger than [api] max_body_bytes, or more cases than [limits] max_cases_per_request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "415": {"description": "Content-Type not application/json, application/x-ndjson, application/jsonl or text/csv", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "422": json_answer("Nothing valid stored (only invalid or refused cases): the same body as 201, with the problems", intake_answer())
                    }
                })),
                "get": op("List cases, newest first, by state or search text", "viewer, operator, admin", json!({
                    "responses": {
                        "200": json_answer("One page of cases", json!({"type": "object", "required": ["cases", "limit", "offset"], "properties": {
                            "cases": {"type": "array", "items": schema("CaseView")}, "limit": {"type": "integer"}, "offset": {"type": "integer"}
                        }})),
                        "400": json_answer("A state that does not exist", schema("ErrorBody"))
                    },
                    "parameters": [
                        {"name": "state", "in": "query", "schema": {"type": "string"}, "description": "comma-separated states"},
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "reference, målnummer, invoice or customer number (at most [limits] max_search_chars characters, 400 beyond)"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}
                    ]
                }))
            },
            "/cases/{reference}": {
                "get": op("The cases with this reference, each in the intake form POST /cases accepts (normalised: identity numbers as YYYYMMDD-NNNN / NNNNNN-NNNN, amounts and interest rates as decimal strings, dates YYYY-MM-DD; an invalid case as submitted) plus fogd's read-only additions: state, hold_reason, malnummer, issues, created_at, updated_at, file {id, name, lopnummer}, rejection, decision, events (the audit trail), and after registration ledger {claimed, reductions, interest, fees, paid_out, remaining: decimal strings in kronor, remaining null while unknown} as of ?as_of=DATE (default today), enforcement_malnummer and outcome. POST accepts and ignores the additions, so an answer's case can be sent back. Debtors' identity numbers in full for operator and admin, masked (19121212-****) for viewer and submitter", "submitter, viewer, operator, admin", json!({
                    "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "the ledger as of this date (default today)"}],
                    "responses": {
                        "200": json_answer("The cases in the intake form, with fogd's read-only additions", json!({"type": "object", "required": ["reference", "cases"], "properties": {
                            "reference": {"type": "string"}, "cases": {"type": "array", "items": {"allOf": [schema("CaseInput"), schema("CaseAdditions")]}}
                        }})),
                        "404": {"description": "No case with this reference", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                    }
                }))
            },
            "/cases/{reference}/requests": {
                "post": op("File a begäran about the registered BFÖ case {reference} (fogd-ref-2.md 2.5): request court (överlämnande to a tingsrätt, only for a disputed case and no later than its sista_dag) or enforcement (verkställighet, only after an utslag and once). The begäran is a case of kind begaran, approved by the caller and sent in a {ik}.BEGARAN file", "operator, admin", json!({
                    "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": schema("RequestBody")}}},
                    "responses": {
                        "201": {"description": "The begäran, approved: {reference, state, problems}"},
                        "400": {"description": "Unreadable body, unknown request or date", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role, or a cross-site request"},
                        "415": {"description": "Content-Type not application/json"},
                        "422": {"description": "A check refused it: {reference, state: invalid, problems: [{rule, message, …}]} (rules begaran.*, follow_up.unknown_case)"}
                    }
                }))
            },
            "/cases/{reference}/decisions": {
                "post": op("Enter a decision Kronofogden sent on paper (e.g. an avskrivningsbeslut) with a note: the case moves by the transition table, the event names the caller and carries the note", "operator, admin", json!({
                    "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": schema("PaperDecisionBody")}}},
                    "responses": {
                        "200": {"description": "Entered: {reference, from, to}"},
                        "400": {"description": "Unreadable body, unknown decision, empty note or bad date", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role, or a cross-site request"},
                        "409": {"description": "Not entered: {reference, from, problem} (no such case, or the table allows no such move from its state)"},
                        "415": {"description": "Content-Type not application/json"}
                    }
                }))
            },
            "/journal/approve": {
                "post": op("Approve the journal: {\"all\": true} or {\"references\": [...]} (at most [limits] max_approve_references)", "operator, admin", json!({
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"all": {"type": "boolean"}, "references": {"type": "array", "items": {"type": "string"}}}}}}},
                    "responses": {
                        "200": {"description": "The cases whose state changed"},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role, or a cross-site request"},
                        "413": {"description": "More references than [limits] max_approve_references"},
                        "415": {"description": "Content-Type not application/json"}
                    }
                }))
            },
            "/journal/hold": {
                "post": op("Hold a case for review: {\"reference\", \"reason\"}", "operator, admin", json!({
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reference", "reason"], "properties": {"reference": {"type": "string"}, "reason": {"type": "string"}}}}}}
                }))
            },
            "/files": {
                "get": op("Files built and sent, newest first: löpnummer, filtyp, state, tx.id, sent time, kvittens status and errors", "viewer, operator, admin", json!({
                    "responses": {"200": json_answer("One page of files", page_of("files", "FileView"))},
                    "parameters": [
                        {"name": "state", "in": "query", "schema": {"type": "string"}, "description": "comma-separated file states"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}
                    ]
                }))
            },
            "/files/{id}": {
                "get": op("One file with its case references and the messages that answer it", "viewer, operator, admin", json!({
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "responses": {"200": json_answer("The file, with cases and receipts", schema("FileView")), "404": json_answer("No such file", schema("ErrorBody"))}
                }))
            },
            "/files/{id}/raw": {
                "get": op("The frozen bytes as sent (ISO-8859-1), or the missiv with ?part=missiv; they hold personal numbers in full", "operator, admin", json!({
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                        {"name": "part", "in": "query", "schema": {"type": "string", "enum": ["file", "missiv"]}}
                    ],
                    "responses": {"200": {"description": "The bytes; Content-Disposition names the file", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}, "404": json_answer("No such file", schema("ErrorBody"))}
                }))
            },
            "/files/{id}/retry": {
                "post": op("Retry now: a file waiting for a send retry (built or outcome_unknown after a refused or failed attempt) is made due at once, and sent by a send pass this server starts (with --no-jobs: by the next fogd send). No body, or {}", "operator, admin", json!({
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "responses": {
                        "202": json_answer("Made due", schema("RetryAnswer")),
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role, or a cross-site request"},
                        "404": {"description": "No such file", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "409": {"description": "The file is not waiting to be sent (sent, receipted, superseded, or being sent)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}},
                        "415": {"description": "A body that is not application/json"}
                    }
                }))
            },
            "/receipts": {
                "get": op("Inbound messages, newest first: kind, the file answered, kvittens status, applied, apply errors", "viewer, operator, admin", json!({
                    "responses": {"200": json_answer("One page of inbound messages", page_of("receipts", "ReceiptRow"))},
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}
                    ]
                }))
            },
            "/stats": {"get": op("Cases per state and scheduled jobs", "viewer, operator, admin", json!({}))},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": json_answer("OpenAPI 3.1", json!({"type": "object"}))}}}
        }
    });
    hand
}

/// `GET /api/v1/openapi.json` (no sign-in needed).
pub async fn openapi() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_path_is_listed_and_vice_versa() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut documented = 0;
        for (p, ops) in paths {
            for m in ops.as_object().unwrap().keys() {
                assert!(
                    PATHS.contains(&(p.as_str(), m.as_str())),
                    "{m} {p} not in PATHS"
                );
                documented += 1;
            }
        }
        assert_eq!(documented, PATHS.len());
    }
}
