//! Issue 13 against a running `fogd serve`: sessions end with their token and survive a restart, sign-in failures
//! are throttled (3); bounded requests and answers, memory measured (4); long search text (5); browser headers and
//! CSRF (9); private keys (10, serve); JSON errors under /api/ and 422 (11); personal numbers by role (12).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "serve_support/mod.rs"]
mod serve_support;

use reqwest::StatusCode;
use serde_json::Value;
use serve_support::{example_cases, hidden_field, set_cookie, sign_in, Install};
use std::time::{Duration, Instant};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Point 3: a session dies with its token within the token cache's 10 s, and survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_ends_its_session_and_sessions_survive_a_restart() {
    let inst = Install::new("");
    let viewer = inst.token("viewer", "wallboard");
    let http = http();
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let r = sign_in(&http, &srv, &viewer).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&r, "fogd_session").unwrap();
    let page = |srv: &serve_support::Server| {
        http.get(srv.url("/"))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(page(&srv).await.unwrap().status(), StatusCode::OK);

    // A restart keeps the session.
    assert!(srv.terminate().success());
    let srv = inst.serve(&["--no-jobs"], &[]);
    assert_eq!(
        page(&srv).await.unwrap().status(),
        StatusCode::OK,
        "the session survives a restart"
    );

    // Revoking the token ends the session within the look-up cache's time.
    let out = inst
        .cmd()
        .args(["token", "revoke", "wallboard"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let revoked = Instant::now();
    loop {
        let r = page(&srv).await.unwrap();
        if r.status() == StatusCode::SEE_OTHER {
            assert_eq!(r.headers()["location"], "/signin");
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(12),
            "session still alive {:?} after the revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Point 3: failed sign-ins are logged with the client's address and throttled per address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_logged_and_throttled() {
    let inst = Install::new("[limits]\nsignin_failures_per_minute = 3\n");
    let viewer = inst.token("viewer", "ops");
    let http = http();
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    for _ in 0..3 {
        let r = sign_in(&http, &srv, "fogd_guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Past the limit even the right token waits.
    let r = sign_in(&http, &srv, &viewer).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(srv.terminate().success());
    let log = std::fs::read_to_string(&srv.log).unwrap();
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("sign-in failed"))
        .collect();
    assert_eq!(failures.len(), 3, "{log}");
    assert!(failures[0].contains("127.0.0.1"), "{}", failures[0]);
    assert!(
        !log.contains("fogd_guess"),
        "the token tried is never logged"
    );
}

/// Junk cases as the issue measured them: 250,000 in about 6 MB.
fn junk_cases(n: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(n * 26);
    b.push(b'[');
    for i in 0..n {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(format!("{{\"reference\":\"J{i:07}\"}}").as_bytes());
    }
    b.push(b']');
    b
}

fn peak_rss_mb(pid: u32) -> f64 {
    fogd::procinfo::peak_rss_kb(Some(pid)).unwrap() as f64 / 1024.0
}

/// Point 4: a request over the cap is refused early (memory measured); one at the cap is answered in a bounded
/// answer; approve has its cap too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_requests_and_answers_with_memory_measured() {
    let inst = Install::new(
        "[api]\nmax_body_bytes = 16777216\n[limits]\nmax_cases_per_request = 2000\nmax_problems_in_answer = 50\n\
         max_approve_references = 1000\n",
    );
    let submitter = inst.token("submitter", "erp");
    let operator = inst.token("operator", "lead");
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let pid = srv.child.id();
    let before = peak_rss_mb(pid);
    let big = junk_cases(250_000);
    assert!(big.len() > 6_000_000);
    let post = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(srv.url("/api/v1/cases"))
            .bearer_auth(&submitter)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Three at once, as the issue did.
    let (a, b, c) = tokio::join!(post(big.clone()), post(big.clone()), post(big));
    for r in [a, b, c] {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("max_cases_per_request = 2000"),
            "{v}"
        );
    }
    let peak = peak_rss_mb(pid);
    println!("fogd serve peak RSS: {before:.1} MB before, {peak:.1} MB after three 6.5 MB posts");
    assert!(
        peak - before < 150.0,
        "peak RSS grew by {:.0} MB (1.1 GB per request before the cap)",
        peak - before
    );

    // At the cap: stored as invalid, answered with a summary, at most 50 problems, short cases.
    let r = post(junk_cases(2000)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.len() < 1_000_000, "answer of {} bytes", text.len());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["summary"]["invalid"], 2000);
    assert_eq!(v["problems"].as_array().unwrap().len(), 50);
    assert!(v["problems_total"].as_u64().unwrap() >= 2000);
    assert_eq!(v["cases"].as_array().unwrap().len(), 2000);
    assert!(v["cases"][0].get("issues").is_none(), "cases in short");

    // Approve: over its cap refused at once.
    let refs: Vec<String> = (0..300_000).map(|i| format!("R-{i}")).collect();
    let t = Instant::now();
    let r = reqwest::Client::new()
        .post(srv.url("/api/v1/journal/approve"))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .json(&serde_json::json!({ "references": refs }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(t.elapsed() < Duration::from_secs(10));
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("max_approve_references"),
        "{v}"
    );
    assert!(srv.terminate().success());
}

/// Point 5: a long search text is a JSON 400 naming the limit (a 500 from SQLite before); `%` and `_` match
/// themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_search_text_is_refused_and_wildcards_are_literal() {
    let inst = Install::new("");
    let viewer = inst.token("viewer", "ops");
    let submitter = inst.token("submitter", "erp");
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let http = http();
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(example_cases())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let q = "x".repeat(60_000);
    let r = http
        .get(srv.url("/api/v1/cases"))
        .query(&[("q", q.as_str())])
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"].as_str().unwrap().contains("max_search_chars"),
        "{v}"
    );
    // The ops page says the same, as a page.
    let r = http
        .get(srv.url("/"))
        .query(&[("q", q.as_str())])
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    for wild in ["%", "_", "A-2026-%", "%\"customer_number\":%"] {
        let v: Value = http
            .get(srv.url("/api/v1/cases"))
            .query(&[("q", wild)])
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["cases"].as_array().unwrap().len(), 0, "{wild}: {v}");
    }
    assert!(srv.terminate().success());
}

/// Point 9: the headers of pages and answers, the stylesheet, and CSRF: a foreign origin is refused, forms carry
/// their tokens, a cookie-authenticated API call needs the origin or the token, JSON calls need JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_headers_and_csrf() {
    let inst = Install::new("");
    let viewer = inst.token("viewer", "ops");
    let operator = inst.token("operator", "lead");
    let submitter = inst.token("submitter", "erp");
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let http = http();
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(example_cases())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    for path in ["/signin", "/", "/api/v1/stats"] {
        let r = http
            .get(srv.url(path))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["referrer-policy"], "same-origin");
        if path != "/api/v1/stats" {
            let html = r.text().await.unwrap();
            assert!(
                !html.contains("<script") && !html.contains("<style"),
                "{path}"
            );
            assert!(html.contains("href=\"/fogd.css\""));
        }
    }
    let css = http.get(srv.url("/fogd.css")).send().await.unwrap();
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // Login CSRF: a sign-in post without the form's nonce (another site's form) is refused.
    let r = http
        .post(srv.url("/signin"))
        .form(&[("token", viewer.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&r, "fogd_session").is_none());
    // Another origin is refused before anything is read.
    let r = http
        .post(srv.url("/signin"))
        .header("origin", "https://evil.example")
        .form(&[("token", viewer.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Signed in as an operator: the session cookie alone does not approve.
    let r = sign_in(&http, &srv, &operator).await;
    let cookie = set_cookie(&r, "fogd_session").unwrap();
    let page = http
        .get(srv.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let approve = |origin: Option<&str>, token: Option<&str>, ctype: &str| {
        let mut r = http
            .post(srv.url("/api/v1/journal/approve"))
            .header("cookie", &cookie)
            .header("content-type", ctype)
            .body(r#"{"references":["A-2026-000123"]}"#);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        r.send()
    };
    let r = approve(Some("https://evil.example"), None, "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = approve(None, None, "application/json").await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "cookie alone, no origin, no token"
    );
    let r = approve(None, Some("fogd_wrong"), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A form-encodable content type is not JSON: 415 (a cross-site form could send it).
    let r = approve(Some(&srv.base), None, "text/plain").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = approve(None, Some(&csrf), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = approve(Some(&srv.base), None, "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Sign-out needs the session's token.
    let r = http
        .post(srv.url("/signout"))
        .header("cookie", &cookie)
        .form(&[("csrf", "fogd_forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let still = http
        .get(srv.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "a forged sign-out changed nothing"
    );
    assert!(srv.terminate().success());
}

/// Point 9: the session cookie is `Secure` when the browser came over HTTPS — here behind a reverse proxy that is
/// trusted to say so, and with native TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookie_over_https_and_behind_a_proxy() {
    let inst = Install::new("[api]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let viewer = inst.token("viewer", "ops");
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let http = http();
    let form = http
        .get(srv.url("/signin"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    assert!(form.headers().contains_key("strict-transport-security"));
    let nonce_cookie = set_cookie(&form, "fogd_signin").unwrap();
    let nonce = hidden_field(&form.text().await.unwrap(), "nonce").unwrap();
    let r = http
        .post(srv.url("/signin"))
        .header("x-forwarded-proto", "https")
        .header("cookie", nonce_cookie)
        .form(&[("token", viewer.as_str()), ("nonce", nonce.as_str())])
        .send()
        .await
        .unwrap();
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fogd_session="))
        .unwrap();
    assert!(session.contains("; Secure"), "{session}");
    // Plain HTTP without the proxy's word: no Secure (the browser would drop it).
    let r = sign_in(&http, &srv, &viewer).await;
    let plain = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fogd_session="))
        .unwrap();
    assert!(!plain.contains("Secure"), "{plain}");
    assert!(srv.terminate().success());

    // Native TLS: https://, Secure cookie.
    let certs = inst.path().join("api-certs");
    fogd::certs::write_dev_certs(&certs, "5599999991", "Test").unwrap();
    let cfg = std::fs::read_to_string(inst.path().join("fogd.toml")).unwrap();
    std::fs::write(
        inst.path().join("fogd.toml"),
        cfg.replace(
            "[api]\n",
            &format!(
                "[api]\ntls_cert = \"{c}/server.pem\"\ntls_key = \"{c}/server-key.pem\"\n",
                c = certs.display()
            ),
        ),
    )
    .unwrap();
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    assert!(srv.base.starts_with("https://"), "{}", srv.base);
    let ca = std::fs::read(certs.join("ca.pem")).unwrap();
    let https = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = sign_in(&https, &srv, &viewer).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fogd_session="))
        .unwrap();
    assert!(session.contains("; Secure"), "{session}");
    assert!(srv.terminate().success());
}

/// Point 11: errors under /api/ are JSON whatever produced them; a submission that stored nothing valid is 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_under_api_are_json() {
    let inst = Install::new("[api]\nmax_body_bytes = 1000\n");
    let viewer = inst.token("viewer", "ops");
    let submitter = inst.token("submitter", "erp");
    let operator = inst.token("operator", "lead");
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let http = http();
    let cases: Vec<(reqwest::RequestBuilder, StatusCode)> = vec![
        (
            http.get(srv.url("/api/v1/nope")).bearer_auth(&viewer),
            StatusCode::NOT_FOUND,
        ),
        (http.get(srv.url("/api/nope")), StatusCode::NOT_FOUND),
        (
            http.delete(srv.url("/api/v1/cases")).bearer_auth(&viewer),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            http.put(srv.url("/api/v1/stats")).bearer_auth(&viewer),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            reqwest::Client::new()
                .post(srv.url("/api/v1/cases"))
                .bearer_auth(&submitter)
                .header("content-type", "application/json")
                .body(vec![b' '; 5000]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            http.get(srv.url("/api/v1/cases?limit=many"))
                .bearer_auth(&viewer),
            StatusCode::BAD_REQUEST,
        ),
        (
            http.get(srv.url("/api/v1/files/abc")).bearer_auth(&viewer),
            StatusCode::BAD_REQUEST,
        ),
        (
            http.get(srv.url("/api/v1/files/1/raw?part=x"))
                .bearer_auth(&operator),
            StatusCode::NOT_FOUND,
        ),
        // Raw bytes hold personal numbers in full: a viewer may not read them.
        (
            http.get(srv.url("/api/v1/files/1/raw"))
                .bearer_auth(&viewer),
            StatusCode::FORBIDDEN,
        ),
        (
            http.post(srv.url("/api/v1/cases"))
                .bearer_auth(&submitter)
                .header("content-type", "text/plain")
                .body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (http.get(srv.url("/api/v1/stats")), StatusCode::UNAUTHORIZED),
    ];
    for (req, want) in cases {
        let r = req.send().await.unwrap();
        let url = r.url().clone();
        assert_eq!(r.status(), want, "{url}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/json"), "{url}: {ct}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{url}: {v}"
        );
    }
    // Nothing valid stored: 422 with the problems, not 201.
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(r#"[{"reference":"BAD-1","kind":"betalningsforelaggande"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(!v["problems"].as_array().unwrap().is_empty(), "{v}");
    assert!(srv.terminate().success());
}

/// Point 12: operators and admins see the debtors' personal numbers in full; viewers and submitters masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_numbers_by_role() {
    let inst = Install::new("");
    let submitter = inst.token("submitter", "erp");
    let tokens = [
        ("viewer", inst.token("viewer", "ops"), false),
        ("submitter", submitter.clone(), false),
        ("operator", inst.token("operator", "lead"), true),
        ("admin", inst.token("admin", "root"), true),
    ];
    let mut srv = inst.serve(&["--no-jobs"], &[]);
    let http = http();
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(example_cases())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for (role, token, full) in &tokens {
        // Twice: the second answer comes from the response cache, which must not mix the roles' answers.
        for _ in 0..2 {
            let text = http
                .get(srv.url("/api/v1/cases/A-2026-000123"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            // The intake form: the number as written (`YYYYMMDD-NNNN`).
            let shown = v["cases"][0]["debtors"][0]["id"]
                .as_str()
                .unwrap()
                .to_string();
            if *full {
                assert_eq!(shown, "19121212-1212", "{role}: {v}");
            } else {
                assert_eq!(shown, "19121212-****", "{role}: {v}");
                assert!(
                    !text.contains("191212121212") && !text.contains("19121212-1212"),
                    "{role}: {text}"
                );
            }
        }
    }
    assert!(srv.terminate().success());
}

/// Point 10: `fogd serve` refuses a client identity (private key) that group or others may read.
#[test]
fn serve_refuses_a_key_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let inst = Install::new("");
    let certs = inst.path().join("fogd-data/certs");
    fogd::certs::write_dev_certs(&certs, "5599999991", "Test").unwrap();
    let id = certs.join("client-identity.pem");
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = inst
        .cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("chmod 600") && err.contains("client-identity.pem"),
        "{err}"
    );
}
