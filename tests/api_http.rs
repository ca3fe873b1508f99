//! The HTTP API of `fogd serve`, driven like a client would: roles, idempotent submission, journal, OpenAPI,
//! metrics, health, body limits, the ops page with sign-in, search and masking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/prom_text.rs"]
mod prom_text;
#[path = "serve_support/mod.rs"]
mod serve_support;

use reqwest::StatusCode;
use serde_json::Value;
use serve_support::{example_cases, hidden_field, set_cookie, sign_in, Install};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_roles_cases_journal_and_page() {
    let inst = Install::new("[api]\nmax_body_bytes = 100000\n");
    let submitter = inst.token("submitter", "erp");
    let viewer = inst.token("viewer", "ops");
    let operator = inst.token("operator", "lead");
    let mut srv = inst.serve(&[], &[]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, token: Option<&str>| {
        let mut r = http.get(srv.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };

    // 401 without or with a bad token, 403 for the wrong role.
    assert_eq!(
        get("/api/v1/stats", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("/api/v1/stats", Some("fogd_0000"))
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("/api/v1/stats", Some(&submitter))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&viewer)
        .header("content-type", "application/json")
        .body(example_cases())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Submit: 201, then the same again: 200 and unchanged.
    let post = || {
        http.post(srv.url("/api/v1/cases"))
            .bearer_auth(&submitter)
            .header("content-type", "application/json")
            .body(example_cases())
            .send()
    };
    let r = post().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Value = r.json().await.unwrap();
    let read = first["summary"]["read"].as_u64().unwrap();
    assert!(read >= 5, "{first}");
    assert_eq!(first["summary"]["accepted"].as_u64().unwrap(), read);
    let r = post().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["summary"]["unchanged"].as_u64().unwrap(), read);
    assert_eq!(again["summary"]["accepted"].as_u64().unwrap(), 0);

    // One case, invalid JSON, too large.
    let one = r#"{"reference":"X-1","kind":"betalningsforelaggande"}"#;
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(one)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing valid stored"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["summary"]["invalid"], 1, "{v}");
    assert_eq!(v["cases"][0]["state"], "invalid");
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let big = vec![b' '; 200_000];
    // A client of its own: the server answers 413 without reading the body and closes that connection, which a
    // pooled connection reused by the next request would otherwise trip over.
    let r = reqwest::Client::new()
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Read a case: the submitter may; unknown is 404.
    let r = get("/api/v1/cases/A-2026-000123", Some(&submitter))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["cases"][0]["state"], "journal");
    assert_eq!(v["cases"][0]["events"][0]["to"], "journal");
    assert_eq!(
        get("/api/v1/cases/NOPE", Some(&viewer))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Approve: the viewer may not, the operator may.
    let approve = |t: &str| {
        http.post(srv.url("/api/v1/journal/approve"))
            .bearer_auth(t)
            .header("content-type", "application/json")
            .body(r#"{"references":["A-2026-000123"]}"#)
            .send()
    };
    assert_eq!(
        approve(&viewer).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let v: Value = approve(&operator).await.unwrap().json().await.unwrap();
    assert_eq!(v["changed"][0]["to"], "approved", "{v}");
    let v: Value = get("/api/v1/cases?state=approved", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"].as_array().unwrap().len(), 1);
    assert_eq!(v["cases"][0]["reference"], "A-2026-000123");
    // The single-case answer (cached above while in `journal`) shows the change at once (read-your-writes).
    let v: Value = get("/api/v1/cases/A-2026-000123", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"][0]["state"], "approved", "{v}");
    // A change made by another process (the CLI) shows within the cache watcher's interval.
    let v: Value = get("/api/v1/cases/A-2026-000124", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"][0]["state"], "journal", "{v}");
    let st = inst
        .cmd()
        .args([
            "journal",
            "hold",
            "A-2026-000124",
            "--reason",
            "check the debtor",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let mut state = Value::Null;
    for _ in 0..40 {
        let v: Value = get("/api/v1/cases/A-2026-000124", Some(&viewer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state = v["cases"][0]["state"].clone();
        if state == "held" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        state, "held",
        "a change by another process is seen within 1 s"
    );
    assert_eq!(
        get("/api/v1/cases?state=bogus", Some(&viewer))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    let v: Value = get("/api/v1/cases?q=F-2203", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["cases"][0]["reference"], "A-2026-000124",
        "search by invoice number"
    );
    let v: Value = get("/api/v1/stats", Some(&viewer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"]["approved"], 1);

    // OpenAPI (no token), metrics, health.
    let v: Value = get("/api/v1/openapi.json", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    assert!(v["paths"]["/cases/{reference}"]["get"].is_object());
    let r = get("/metrics", None).await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let m = r.text().await.unwrap();
    prom_text::check_fogd(&m);
    assert!(m.contains("fogd_cases{state=\"approved\"} 1"), "{m}");
    assert!(m.contains("fogd_job_runs_total{job=\"alerts\"}"), "{m}");
    assert_eq!(
        get("/healthz", None).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(get("/readyz", None).await.unwrap().status(), StatusCode::OK);

    // The ops page: redirect to sign-in, a submitter cannot sign in, a viewer can (HttpOnly cookie).
    let r = get("/", None).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/signin");
    let r = sign_in(&http, &srv, &submitter).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = sign_in(&http, &srv, &viewer).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session_header = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fogd_session="))
        .unwrap();
    assert!(
        session_header.contains("HttpOnly") && session_header.contains("SameSite=Strict"),
        "{session_header}"
    );
    let cookie = set_cookie(&r, "fogd_session").unwrap();
    let page = http
        .get(srv.url("/?q=A-2026-000123"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("<table id=\"counts\">"));
    assert!(page.contains("<td>journal</td>"));
    assert!(page.contains("id=\"results\""));
    assert!(page.contains("19121212-****"), "personal number masked");
    assert!(
        !page.contains("19121212-1212"),
        "personal number never in clear"
    );
    assert!(page.contains("SHS node"), "banner for the unreachable node");
    // Bearer works for the page too; signing out (with the page's anti-forgery token) ends the session.
    let r = get("/", Some(&viewer)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = hidden_field(&page, "csrf").expect("the sign-out form carries the session's token");
    http.post(srv.url("/signout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let r = http
        .get(srv.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    assert!(srv.terminate().success());
}
