//! The ops page in a real browser: headless Chromium driven through chromedriver's WebDriver protocol. Signs in with
//! a viewer token through the form (HttpOnly cookie), checks the tables (files sent to and receipted by a `fogd sim`
//! process), and searches by invoice number, tx.id and reference. Then, as issue 13 point 9 asks: the page works
//! under its Content-Security-Policy (the stylesheet applies), and pages of another origin that post forms to fogd
//! with the signed-in browser's cookie (sign-out, sign-in with the attacker's token) change nothing.
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "serve_support/mod.rs"]
mod serve_support;

use serde_json::{json, Value};
use serve_support::{example_cases, Install};
use std::process::{Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "{path}: {v}");
        v["value"].clone()
    }
    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }
    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("find {css}: {v}"))
            .to_string()
    }
    async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{e}/text"),
                Value::Null,
            )
            .await;
        v.as_str().unwrap().to_string()
    }
    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        )
        .await;
    }
    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            json!({}),
        )
        .await;
    }
    async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_page_in_headless_chromium() {
    for bin in ["chromium", "chromedriver"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {bin}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "{bin} is missing: install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        );
    }
    let inst = Install::new("");
    let viewer = inst.token("viewer", "browser");
    let mallory = inst.token("viewer", "mallory");
    let submitter = inst.token("submitter", "erp");
    let srv = inst.serve(&["--no-jobs"], &[]);
    let http = reqwest::Client::new();
    let r = http
        .post(srv.url("/api/v1/cases"))
        .bearer_auth(&submitter)
        .header("content-type", "application/json")
        .body(example_cases())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // Files: approve, one send pass and polls against a simulated node until the kvittens are in.
    let sim = inst.sim(None);
    let with_sim = |args: &[&str]| {
        let out = inst
            .cmd()
            .args(args)
            .env("FOGD_SHS_URL", &sim.shs_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    with_sim(&["journal", "approve", "--all"]);
    with_sim(&["send"]);
    let mut files = Vec::new();
    for _ in 0..50 {
        with_sim(&["poll"]);
        let v: Value = serde_json::from_slice(&with_sim(&["status", "--format", "json"])).unwrap();
        files = v["files"].as_array().cloned().unwrap_or_default();
        if !files.is_empty() && files.iter().all(|f| f["kvittens_status"].is_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!files.is_empty(), "fogd send built no file");
    let tx_id = files[0]["tx_id"].as_str().unwrap().to_string();

    // chromedriver on a free port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{base}/status")).send().await {
            if r.status().is_success() {
                ready = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "chromedriver did not start");
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", profile.path().display())]
        }
    }}});
    let v: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = v["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {v}"))
        .to_string();
    let d = Driver {
        http: http.clone(),
        base: base.clone(),
        session,
    };

    // Element look-ups wait up to 5 s: a form submit's navigation may still be parsing when the next look-up comes.
    d.call(
        reqwest::Method::POST,
        "/timeouts",
        json!({ "implicit": 5000 }),
    )
    .await;
    let result = async {
        d.go(&srv.url("/")).await;
        assert!(
            d.current_url().await.ends_with("/signin"),
            "redirected to sign-in"
        );
        d.type_into("#token", &viewer).await;
        d.click("#signin").await;
        let counts = d.text("#counts").await;
        assert!(counts.contains("accepted"), "{counts}");
        // The files table: löpnummer, filtyp, state, tx.id, kvittens status.
        let table = d.text("#files").await;
        for f in &files {
            let tx = f["tx_id"].as_str().unwrap();
            assert!(table.contains(tx), "{tx} not in {table}");
        }
        assert!(
            table.contains("receipted_ok") && table.contains(" G") && table.contains("ANSOKAN"),
            "{table}"
        );
        // Search by tx.id finds the file.
        d.go(&srv.url(&format!("/?q={tx_id}"))).await;
        let hit = d.text("#file-results").await;
        assert!(hit.contains(&tx_id), "{hit}");
        d.go(&srv.url("/")).await;
        // The cases were approved and sent, so the journal is empty now; search by reference instead.
        d.go(&srv.url("/?q=A-2026-000123")).await;
        let found = d.text("#results").await;
        assert!(found.contains("A-2026-000123"), "{found}");
        d.go(&srv.url("/")).await;
        d.text("#rejected").await;
        // Search by invoice number.
        d.type_into("#q", "F-2203").await;
        d.click("#search-button").await;
        let results = d.text("#results").await;
        assert!(results.contains("A-2026-000124"), "{results}");
        assert!(!results.contains("A-2026-000123"), "{results}");
        // Search by case reference: the debtor's personal number is masked.
        d.go(&srv.url("/?q=A-2026-000123")).await;
        let results = d.text("#results").await;
        assert!(
            results.contains("19121212-****") && !results.contains("19121212-1212"),
            "{results}"
        );

        // The stylesheet applies under the CSP (no inline style, no script on fogd's pages).
        let font = d
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                json!({"script": "return getComputedStyle(document.body).fontFamily", "args": []}),
            )
            .await;
        assert!(font.as_str().unwrap_or("").contains("sans-serif"), "{font}");

        // Cross-site requests from another origin (a page that posts forms by script) change nothing.
        let fogd_base = srv.base.clone();
        let attacker = attacker_site(vec![
            (
                "/signout",
                format!(
                    "<form id=f method=post action=\"{fogd_base}/signout\"><input name=csrf value=x></form>\
                     <script>document.getElementById('f').submit()</script>"
                ),
            ),
            (
                "/signin",
                format!(
                    "<form id=f method=post action=\"{fogd_base}/signin\"><input name=token value=\"{mallory}\">\
                     <input name=nonce value=x></form><script>document.getElementById('f').submit()</script>"
                ),
            ),
        ]);
        for page in ["/signout", "/signin"] {
            d.go(&format!("{attacker}{page}")).await;
            tokio::time::sleep(Duration::from_millis(700)).await;
            d.go(&srv.url("/")).await;
            let who = d.text("#signout").await;
            let me = d.text("form[action='/signout'] span").await;
            assert!(
                me.contains("browser") && !me.contains("mallory"),
                "after the cross-site {page}: {me} {who}"
            );
        }
    }
    .await;
    let _ = http
        .delete(format!("{base}/session/{}", d.session))
        .send()
        .await;
    let _ = driver.kill();
    let _ = driver.wait();
    result
}

/// Another origin (a port of its own on loopback) serving `pages` (path, HTML); returns its base URL.
fn attacker_site(pages: Vec<(&'static str, String)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
            }
            let body = pages
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| format!("<!DOCTYPE html><html><body>{b}</body></html>"))
                .unwrap_or_default();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}
