//! Issue 18 point 2: a file the node refused waits for its back-off; `fogd send --retry-now [--file ID]`, the ops
//! page's "Retry now" button and `POST /api/v1/files/{id}/retry` send it at once, and `fogd status` shows the next
//! attempt and the last error. Through the real binaries: a separate `fogd sim` refusing sends (fault injection).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use serde_json::Value;
use serve_support::{hidden_field, sign_in, Install};
use std::process::Output;
use std::time::{Duration, Instant};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn run(i: &Install, args: &[&str], shs: &str) -> Output {
    i.cmd()
        .args(args)
        .env("FOGD_SHS_URL", shs)
        .output()
        .unwrap()
}

/// The files of `fogd status --format json`, by id.
fn files(i: &Install, shs: &str) -> Vec<Value> {
    let o = run(i, &["status", "--format", "json"], shs);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["files"].as_array().unwrap().clone()
}

fn file(i: &Install, shs: &str, id: i64) -> Value {
    files(i, shs)
        .into_iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no file {id}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_files_are_retried_now_from_the_cli_the_page_and_the_api() {
    let i = Install::new("");
    // The node refuses the first three sends with 403 (no retry helps: the longest back-off).
    let sim = i.sim(Some("status=403@rs*3"));
    let shs = sim.shs_url.clone();
    let cases = i.path().join("cases.json");
    std::fs::write(&cases, serve_support::example_cases()).unwrap();
    assert!(run(&i, &["import", cases.to_str().unwrap()], &shs)
        .status
        .success());
    assert!(run(&i, &["journal", "approve", "--all"], &shs)
        .status
        .success());
    let o = run(&i, &["send"], &shs);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("3 refused"), "{}", stdout(&o));

    // Status shows the next attempt (an hour ahead) and the last error, in JSON and in the table.
    let now = chrono::Utc::now();
    for f in files(&i, &shs) {
        assert_eq!(f["state"], "built", "{f}");
        let next = chrono::DateTime::parse_from_rfc3339(f["next_attempt_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert!(next > now + chrono::Duration::minutes(20), "{f}");
        assert!(f["last_error"].as_str().unwrap().contains("403"), "{f}");
    }
    let table = stdout(&run(&i, &["status"], &shs));
    assert!(table.contains("NEXT ATTEMPT"), "{table}");
    let line = table.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(line.contains("403"), "{line}");
    let next_local = chrono::DateTime::parse_from_rfc3339(
        file(&i, &shs, 1)["next_attempt_at"].as_str().unwrap(),
    )
    .unwrap()
    .with_timezone(&chrono_tz::Europe::Stockholm)
    .format("%Y-%m-%d %H:%M:%S")
    .to_string();
    assert!(line.contains(&next_local), "{line}");

    // A plain pass leaves them waiting; --retry-now --file 1 sends that one at once.
    let o = run(&i, &["send"], &shs);
    assert!(stdout(&o).contains("sent 0"), "{}", stdout(&o));
    let o = run(&i, &["send", "--retry-now", "--file", "1"], &shs);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("retry now: 1 file(s) made due (1)") && stdout(&o).contains("sent 1"),
        "{}",
        stdout(&o)
    );
    assert_eq!(file(&i, &shs, 1)["state"], "sent");
    assert_eq!(file(&i, &shs, 2)["state"], "built");
    // A file that is not waiting, or none at all: a usage error naming it.
    let o = run(&i, &["send", "--retry-now", "--file", "1"], &shs);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("file 1 is sent"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&i, &["send", "--retry-now", "--file", "99"], &shs);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&i, &["send", "--file", "2"], &shs);
    assert_eq!(o.status.code(), Some(2), "--file needs --retry-now");

    // The daemon: the page's button (file 2) and the API (file 3).
    let operator = i.token("operator", "ops");
    let viewer = i.token("viewer", "watch");
    let srv = i.serve(&[], &[("FOGD_SHS_URL", shs.as_str())]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = sign_in(&http, &srv, &operator).await;
    let cookie = serve_support::set_cookie(&signed, "fogd_session").unwrap();
    let page = http
        .get(srv.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"retry-2\"") && page.contains("id=\"retry-3\""),
        "{page}"
    );
    assert!(!page.contains("id=\"retry-1\""), "file 1 is sent");
    let csrf = hidden_field(&page, "csrf").unwrap();
    // A viewer sees the files, without the button.
    let viewer_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = sign_in(&viewer_http, &srv, &viewer).await;
    let viewer_cookie = serve_support::set_cookie(&signed, "fogd_session").unwrap();
    let viewer_page = viewer_http
        .get(srv.url("/"))
        .header("cookie", &viewer_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        viewer_page.contains("<table id=\"files\">") && !viewer_page.contains("Retry now"),
        "{viewer_page}"
    );
    // Without the session's anti-forgery token the form is refused.
    let r = http
        .post(srv.url("/files/2/retry"))
        .header("cookie", &cookie)
        .header("origin", srv.base.clone())
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .post(srv.url("/files/2/retry"))
        .header("cookie", &cookie)
        .header("origin", srv.base.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A viewer may not retry; a file that is not there is 404, a sent one 409, all JSON.
    let api = |id: &str, token: &str| {
        http.post(srv.url(&format!("/api/v1/files/{id}/retry")))
            .bearer_auth(token.to_string())
            .send()
    };
    let r = api("3", &viewer).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = api("99", &operator).await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = api("1", &operator).await.unwrap();
    assert_eq!(r.status(), 409);
    let e = r.json::<Value>().await.unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("file 1 is sent"),
        "{e}"
    );
    // With the session cookie from another origin: refused before anything runs.
    let r = http
        .post(srv.url("/api/v1/files/3/retry"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = api("3", &operator).await.unwrap();
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["file"], 3);
    assert_eq!(v["made_due"], true);
    assert_eq!(v["sending"], true);

    let doc: Value = http
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/files/{id}/retry"]["post"]["responses"]["409"].is_object());

    // Both are sent at once (not after the hour of back-off).
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let states: Vec<Value> = files(&i, &shs).iter().map(|f| f["state"].clone()).collect();
        if states.iter().all(|s| s == "sent") {
            break;
        }
        assert!(Instant::now() < until, "not all sent: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
