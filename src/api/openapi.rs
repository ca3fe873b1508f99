//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the JSON API (kept by hand next to the handlers; a
//! test checks that every documented path answers and every API route is documented).

use axum::Json;
use serde_json::{json, Value};

/// The API paths (relative to `/api/v1`) and their methods, as documented.
pub const PATHS: &[(&str, &str)] = &[
    ("/cases", "post"),
    ("/cases", "get"),
    ("/cases/{reference}", "get"),
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
            "200": {"description": "OK", "content": {"application/json": {}}},
            "401": {"description": "No or unknown token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "403": {"description": "The token's role may not do this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    });
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    o
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fogd API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit cases to Kronofogden's file services through fogd, review the journal, follow cases."
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "fogd token create --role R --name N"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
                "CaseState": {"type": "string", "enum": crate::domain::CaseState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()},
                "Case": {"type": "object", "properties": {
                    "reference": {"type": "string"}, "kind": {"type": "string"}, "intressentkod": {"type": "string"},
                    "state": {"$ref": "#/components/schemas/CaseState"}, "hold_reason": {"type": ["string", "null"]},
                    "malnummer": {"type": ["string", "null"]}, "issues": {"type": "array"},
                    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}
                }}
            }
        },
        "paths": {
            "/cases": {
                "post": op("Submit one case (object) or many (array, JSON Lines or CSV) in the intake form; idempotent on reference. The read-only members of a GET /cases/{reference} answer (state, hold_reason, issues, created_at, updated_at, file, rejection, decision, events) are accepted and ignored", "submitter, admin", json!({
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]}}}},
                    "responses": {
                        "200": {"description": "Nothing new (every case unchanged)"},
                        "201": {"description": "Cases stored for the journal: {summary, problems (at most [limits] max_problems_in_answer), problems_total, problems_omitted, cases (reference, kind, intressentkod, state)}"},
                        "400": {"description": "Unreadable body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role"},
                        "413": {"description": "Body larger than [api] max_body_bytes, or more cases than [limits] max_cases_per_request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "415": {"description": "Content-Type not application/json, application/x-ndjson, application/jsonl or text/csv", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "422": {"description": "Nothing valid stored (only invalid or refused cases): the same body as 201, with the problems"}
                    }
                })),
                "get": op("List cases, newest first, by state or search text", "viewer, operator, admin", json!({
                    "parameters": [
                        {"name": "state", "in": "query", "schema": {"type": "string"}, "description": "comma-separated states"},
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "reference, målnummer, invoice or customer number (at most [limits] max_search_chars characters, 400 beyond)"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}
                    ]
                }))
            },
            "/cases/{reference}": {
                "get": op("The cases with this reference, each in the intake form POST /cases accepts (normalised: identity numbers as YYYYMMDD-NNNN / NNNNNN-NNNN, amounts and interest rates as decimal strings, dates YYYY-MM-DD; an invalid case as submitted) plus fogd's read-only additions: state, hold_reason, malnummer, issues, created_at, updated_at, file {id, name, lopnummer}, rejection, decision, events (the audit trail). POST accepts and ignores the additions, so an answer's case can be sent back. Debtors' identity numbers in full for operator and admin, masked (19121212-****) for viewer and submitter", "submitter, viewer, operator, admin", json!({
                    "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "{reference, cases: [case in the intake form + additions]}", "content": {"application/json": {}}},
                        "404": {"description": "No case with this reference", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
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
                    "responses": {"200": {"description": "The file"}, "404": {"description": "No such file"}}
                }))
            },
            "/files/{id}/raw": {
                "get": op("The frozen bytes as sent (ISO-8859-1), or the missiv with ?part=missiv; they hold personal numbers in full", "operator, admin", json!({
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                        {"name": "part", "in": "query", "schema": {"type": "string", "enum": ["file", "missiv"]}}
                    ],
                    "responses": {"200": {"description": "The bytes; Content-Disposition names the file", "content": {"application/octet-stream": {}}}, "404": {"description": "No such file"}}
                }))
            },
            "/files/{id}/retry": {
                "post": op("Retry now: a file waiting for a send retry (built or outcome_unknown after a refused or failed attempt) is made due at once, and sent by a send pass this server starts (with --no-jobs: by the next fogd send). No body, or {}", "operator, admin", json!({
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "responses": {
                        "202": {"description": "Made due: {file, made_due (false when it was due already), sending (a send pass started)}", "content": {"application/json": {}}},
                        "401": {"description": "No or unknown token"}, "403": {"description": "Wrong role, or a cross-site request"},
                        "404": {"description": "No such file", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "409": {"description": "The file is not waiting to be sent (sent, receipted, superseded, or being sent)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "415": {"description": "A body that is not application/json"}
                    }
                }))
            },
            "/receipts": {
                "get": op("Inbound messages, newest first: kind, the file answered, kvittens status, applied, apply errors", "viewer, operator, admin", json!({
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}
                    ]
                }))
            },
            "/stats": {"get": op("Cases per state and scheduled jobs", "viewer, operator, admin", json!({}))},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OK"}}}}
        }
    })
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
