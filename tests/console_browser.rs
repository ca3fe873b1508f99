//! The ops console (issue 17) in a real browser: headless Chromium through chromedriver's WebDriver protocol, on
//! cases sent to and receipted by a `fogd sim` process. Signs in as an operator through the form, then per page:
//! the case page's actions (hold with a reason, release, add a note: each shown on the page with who did it), the
//! overview (totals per state and kind with amounts, what needs a person, the chart's bars), the cases list (a
//! filter through the form, the debtors' numbers in full for an operator) and its CSV/xlsx export; a viewer sees
//! the numbers masked and no actions; a form without the session's anti-forgery token changes nothing. The kvittens
//! latency chart on the overview; the search by a debtor's number (another spelling) and name (another case and
//! spacing) for an operator, a note and no hits for a viewer. The case after registration: ledger, a deadline, a
//! paper utslag recorded with a note, a begäran for verkställighet, refusals shown with the rule. The alerts page on
//! a second daemon with its jobs (the unreachable SHS node and the rejected case, each linking to what it
//! concerns), acknowledged by the operator (who and when shown; the overview's count drops), refused to a viewer and
//! without the anti-forgery token. Each page's
//! screenshot is written under `CARGO_TARGET_TMPDIR/console-screens/` and, when `FOGD_SCREENSHOT_DIR` is set, there
//! too. Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "console_support/alerts.rs"]
mod alerts;
#[path = "console_support/driver.rs"]
mod driver;
#[path = "serve_support/mod.rs"]
mod serve_support;

use alerts::alert_forms;
use driver::Driver;
use serde_json::{json, Value};
use serve_support::{example_cases, hidden_field, set_cookie, sign_in, Install};
use std::process::{Command, Stdio};
use std::time::Duration;

/// An invalid case (bad personnummer checksum) next to the valid examples, and a nedsättning naming a målnummer
/// the simulated Kronofogden does not know (it rejects the case with felkod 0050).
const INVALID_CASE: &str = r#"[{"reference": "BAD-2026-1", "kind": "betalningsforelaggande", "intressentkod": "DEV",
  "creditor": {"id": "556036-0793", "name": "Exempel Kredit AB"},
  "debtors": [{"id": "19121212-1213", "name": "Fel Nummer", "street": "Gatan 1", "postal_code": "111 22",
               "city": "Stockholm", "country": "SE"}],
  "claims": [{"kind": "kapital", "amount": "100.00", "due_date": "2026-01-31", "invoice_number": "F-1"}]},
 {"reference": "N-2026-9", "kind": "nedsattning", "intressentkod": "DEV", "concerns": "A-2026-000124",
  "date": "2026-06-01", "reason": "betalning", "amount": "100.00", "claim_index": 1, "malnummer": "BF-999999-26"}]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_headless_chromium() {
    for bin in ["chromium", "chromedriver"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {bin}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "{bin} is missing: install Debian's chromium and chromium-driver"
        );
    }
    let inst = Install::new("");
    let operator = inst.token("operator", "ops");
    let viewer = inst.token("viewer", "watcher");
    let submitter = inst.token("submitter", "erp");
    let srv = inst.serve(&["--no-jobs"], &[]);
    let http = reqwest::Client::new();
    for body in [example_cases(), INVALID_CASE.as_bytes().to_vec()] {
        let r = http
            .post(srv.url("/api/v1/cases"))
            .bearer_auth(&submitter)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        // The invalid case is kept (state invalid) while the answer reports it.
        let text = r.text().await.unwrap();
        assert!(text.contains("\"summary\""), "{text}");
    }
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
                     "--window-size=1280,1400", "--lang=en",
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
    d.call(
        reqwest::Method::POST,
        "/timeouts",
        json!({ "implicit": 5000 }),
    )
    .await;

    let result = async {
        // Sign in as an operator; the console asks for it first.
        d.go(&srv.url("/console")).await;
        assert!(d.current_url().await.ends_with("/signin"));
        d.type_into("#token", &operator).await;
        d.click_and_wait("#signin").await;
        // Signing in lands on the classic page, which links to the console.
        d.click_and_wait("#console-link").await;
        assert!(d.current_url().await.ends_with("/console"));
        d.go(&srv.url("/console/cases")).await;
        assert_eq!(d.text("#who").await, "ops (operator)");

        // The case page: content in full for an operator, and its actions.
        let link = d.find_by("link text", "A-2026-000123").await;
        d.click_element(&link).await;
        d.find("#timeline").await;
        let case_url = d.current_url().await;
        assert!(case_url.contains("/console/case/"), "{case_url}");
        assert_eq!(d.text("#case-state").await, "journal");
        let debtors = d.text("#debtors").await;
        assert!(debtors.contains("19121212-1212"), "{debtors}");
        let claims = d.text("#claims").await;
        assert!(
            claims.contains("F-1001") && claims.contains("referensränta + 8,00 % from 2026-02-10"),
            "{claims}"
        );
        // Swedish amounts, with non-breaking spaces (WebDriver's text shows them as spaces).
        let total = d
            .script("return document.querySelector('#total').textContent")
            .await;
        assert_eq!(total.as_str(), Some("4\u{a0}890,50\u{a0}kr"));
        d.type_into("#hold-reason", "Debtor called: disputes the invoice")
            .await;
        d.click_and_wait("#hold").await;
        assert_eq!(d.text("#case-state").await, "held");
        let held = d.text("#held").await;
        assert!(
            held.contains("disputes the invoice") && held.contains("api:ops"),
            "{held}"
        );
        d.click_and_wait("#release").await;
        assert_eq!(d.text("#case-state").await, "journal");
        d.type_into("#note-text", "Called back <b>Tuesday</b>")
            .await;
        d.click_and_wait("#add-note").await;
        let timeline = d.text("#timeline").await;
        assert!(
            timeline.contains("held → journal")
                && timeline.contains("journal → held")
                && timeline.contains("Called back <b>Tuesday</b>")
                && timeline.contains("api:ops"),
            "{timeline}"
        );
        // Held again, to stay in the review queue through the send below.
        d.type_into("#hold-reason", "Waiting for the debtor's letter")
            .await;
        d.click_and_wait("#hold").await;
        assert_eq!(d.text("#case-state").await, "held");

        // The review queue: what each case claims, masked debtors, why and by whom a case is held.
        d.go(&srv.url("/console/review")).await;
        let queue = d.text("#review").await;
        assert!(
            queue.contains("Held: Waiting for the debtor's letter — held by api:ops")
                && queue.contains("kapital 1 250,00 kr (invoice F-1001)")
                && queue.contains("T* T* 19121212-****")
                && !queue.contains("19121212-1212"),
            "{queue}"
        );
        d.screenshot("review").await;
        // Hold one selected case, then approve it by selecting it; "approve all shown" leaves held cases held.
        let v42 = d
            .script(
                "return [...document.querySelectorAll('#review tbody tr')]\
                 .find(r => r.textContent.includes('V-2026-000042')).querySelector('input[type=checkbox]').id",
            )
            .await;
        let v42 = format!("#{}", v42.as_str().unwrap());
        d.click(&v42).await;
        d.type_into("#hold-reason", "Check the title").await;
        d.click_and_wait("#hold-selected").await;
        assert_eq!(d.text("#done").await, "1 case(s) held.");
        assert!(d.text("#review").await.contains("Held: Check the title"));
        d.click(&v42).await;
        d.click_and_wait("#approve-selected").await;
        assert_eq!(d.text("#done").await, "1 case(s) approved.");
        d.click_and_wait("#approve-shown").await;
        let queue = d.text("#review").await;
        assert!(
            queue.contains("A-2026-000123") && !queue.contains("V-2026-000042") && !queue.contains("A-2026-000124"),
            "only the held case is left: {queue}"
        );

        // Send: one send pass, polls until the kvittens are in.
        with_sim(&["journal", "approve", "--all"]);
        with_sim(&["send"]);
        let mut files = Vec::new();
        for _ in 0..50 {
            with_sim(&["poll"]);
            let v: Value =
                serde_json::from_slice(&with_sim(&["status", "--format", "json"])).unwrap();
            files = v["files"].as_array().cloned().unwrap_or_default();
            if !files.is_empty() && files.iter().all(|f| f["kvittens_status"].is_string()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // The overview.
        d.go(&srv.url("/console")).await;
        let per_state = d.text("#per-state").await;
        assert!(
            per_state.contains("accepted")
                && per_state.contains("invalid")
                && per_state.contains("held"),
            "{per_state}"
        );
        assert!(
            per_state.contains(",00 kr") || per_state.contains(",50 kr"),
            "{per_state}"
        );
        let per_kind = d.text("#per-kind").await;
        assert!(
            per_kind.contains("betalningsforelaggande") && per_kind.contains("verkstallighet"),
            "{per_kind}"
        );
        assert!(d.text("#need-review").await.starts_with("1 "));
        assert!(d.text("#need-invalid").await.starts_with("1 "));
        assert!(d.text("#need-rejected").await.starts_with("1 "));
        let bars = d
            .script(
                "return document.querySelectorAll('#chart rect.bar-sent').length + ':' + \
                     document.querySelectorAll('#chart rect.bar-accepted').length + ':' + \
                     document.querySelectorAll('#chart rect.bar-rejected').length",
            )
            .await;
        assert_eq!(
            bars.as_str(),
            Some("1:1:1"),
            "one day with sends, acceptances and a rejection"
        );
        // The stylesheet applies under the CSP (the bars are coloured by it).
        let fill = d
            .script("return getComputedStyle(document.querySelector('#chart rect.bar-sent')).fill")
            .await;
        assert_eq!(fill.as_str(), Some("rgb(74, 120, 194)"));
        // The kvittens latency chart: one day with files, its median and longest bar, the figures under it.
        let latency = d
            .script(
                "return document.querySelectorAll('#latency-chart rect.bar-latency-median').length + ':' + \
                     document.querySelectorAll('#latency-chart rect.bar-latency-max').length",
            )
            .await;
        assert_eq!(latency.as_str(), Some("1:1"), "one day with receipts");
        let fill = d
            .script("return getComputedStyle(document.querySelector('#latency-chart rect.bar-latency-median')).fill")
            .await;
        assert_eq!(fill.as_str(), Some("rgb(44, 79, 138)"));
        let desc = d
            .script("return document.querySelector('#latency-desc').textContent")
            .await;
        let receipted = files.len();
        assert!(
            desc.as_str().unwrap().contains(&format!("{receipted} file(s) receipted")),
            "{desc}"
        );
        d.screenshot("overview").await;
        // Its link to the review queue lists the held case.
        d.click_and_wait("#need-review a").await;
        let list = d.text("#review").await;
        assert!(list.contains("A-2026-000123") && !list.contains("A-2026-000124"), "{list}");

        // The files: list and detail (löpnummer, tx.id, kvittens, the cases carried).
        d.go(&srv.url("/console/files")).await;
        let table = d.text("#files").await;
        for f in &files {
            let tx = f["tx_id"].as_str().unwrap();
            assert!(table.contains(tx), "{tx} not in {table}");
        }
        assert!(table.contains("receipted_ok") && table.contains("DEV ANSOKAN"), "{table}");
        d.screenshot("files").await;
        let link = d.find_by("link text", "DEV.ANSOKAN").await;
        d.click_element(&link).await;
        let facts = d.text("#file-facts").await;
        assert!(facts.contains("Löpnummer") && facts.contains("tx.id"), "{facts}");
        assert_eq!(d.text("#kvittens-ok").await, "No errors.");
        let carried = d.text("#file-cases").await;
        assert!(carried.contains("A-2026-000124"), "{carried}");
        let messages = d.text("#messages").await;
        assert!(messages.contains("kvittens"), "{messages}");
        let file_url = d.current_url().await;
        let raw = d.find("#downloads a").await;
        let href = d
            .call(reqwest::Method::GET, &format!("/element/{raw}/attribute/href"), Value::Null)
            .await;
        assert!(href.as_str().unwrap().ends_with("/raw"), "{href}");
        d.screenshot("file").await;

        // Invalid and rejected cases: every error with field, rule, value and what to do.
        d.go(&srv.url("/console/problems")).await;
        let invalid = d.text("#invalid-h + table.problem").await;
        assert!(
            invalid.contains("BAD-2026-1")
                && invalid.contains("debtors[0].id")
                && invalid.contains("personnummer.checksum")
                && invalid.contains("19121212-1213")
                && invalid.contains("check digit should be 2"),
            "{invalid}"
        );
        d.screenshot("problems").await;

        let rejected = d.text("#rejected-h + table.problem").await;
        assert!(
            rejected.contains("N-2026-9") && rejected.contains("0050 okant malnummer") && rejected.contains("löpnummer"),
            "{rejected}"
        );

        // Search from the box in the header: an invoice number's start, then a file's tx.id.
        d.type_into("#top-q", "F-220\u{E007}").await;
        d.find("#result-count").await;
        let results = d.text("#results").await;
        assert!(
            results.contains("A-2026-000124") && !results.contains("A-2026-000123"),
            "{results}"
        );
        d.screenshot("search").await;
        // An operator finds cases by a debtor's number in another spelling, and by name whatever its case.
        d.go(&srv.url("/console/search?q=121212%2B1212")).await;
        let by_number = d.text("#debtor-results").await;
        assert!(
            by_number.contains("A-2026-000123") && !by_number.contains("A-2026-000124"),
            "{by_number}"
        );
        d.go(&srv.url("/console/search")).await;
        d.type_into("#q", "  åsa   ÖBERG\u{E007}").await;
        d.find("#result-count").await;
        assert!(d.text("#debtor-results").await.contains("A-2026-000123"));
        d.screenshot("search-debtor").await;
        d.go(&srv.url("/console/search?q=556677-8808")).await;
        assert!(d.text("#debtor-results").await.contains("A-2026-000124"));
        let tx = files[0]["tx_id"].as_str().unwrap().to_string();
        d.go(&srv.url(&format!("/console/search?q={tx}"))).await;
        let hit = d.text("#file-results").await;
        assert!(hit.contains(&tx), "{hit}");
        d.go(&srv.url("/console/search?q=K-4411")).await;
        assert!(d.text("#results").await.contains("A-2026-000123"));

        // The cases list, filtered through the form.
        d.go(&srv.url("/console/cases")).await;
        d.click("#f-state option[value='accepted']").await;
        d.click_and_wait("#filter-button").await;
        assert!(d.current_url().await.contains("state=accepted"));
        let list = d.text("#cases").await;
        assert!(
            list.contains("A-2026-000124")
                && !list.contains("A-2026-000123")
                && !list.contains("BAD-2026-1"),
            "{list}"
        );
        d.screenshot("cases").await;
        // A filter that breaks a rule says which field and why.
        d.go(&srv.url("/console/cases?from=30%2F11%2F2026")).await;
        let e = d.text("#filter-error").await;
        assert!(e.starts_with("from:") && e.contains("2026-11-30"), "{e}");

        // The sent case's page: its file, the kvittens in the timeline.
        d.go(&srv.url("/console/cases?state=accepted")).await;
        let link = d.find_by("link text", "A-2026-000124").await;
        d.click_element(&link).await;
        d.find("#timeline").await;
        let files = d.text("#case-files").await;
        assert!(files.contains("receipted_ok"), "{files}");
        let timeline = d.text("#timeline").await;
        assert!(
            timeline.contains("Kvittens")
                && timeline.contains("löpnummer")
                && timeline.contains("File sent"),
            "{timeline}"
        );
        d.screenshot("case").await;

        // After registration: the ledger as of today, a tracked deadline, and the operator's actions (a paper
        // decision with a note, then a begäran for verkställighet), each through the engine as the CLI does.
        let life_url = d.current_url().await;
        let life_id: i64 = life_url.rsplit('/').next().unwrap().parse().unwrap();
        let ledger = d.text("#ledger").await;
        assert!(
            ledger.contains("Claimed")
                && ledger.contains("Interest to today")
                && ledger.contains("not reported yet"),
            "{ledger}"
        );
        assert!(d.text("#ledger-note").await.starts_with("As of "));
        {
            // A deadline as the poll records one from a BESTRID (the store's own call).
            let url = format!("sqlite://{}/fogd.db", inst.path().display());
            let store = fogd::store::Store::open(&url, 1).await.unwrap();
            let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 18).unwrap();
            store
                .set_deadline(life_id, "overlamnande", due, "BESTRID SUPRO.DEV.BESTRID")
                .await
                .unwrap();
            store.close().await;
        }
        d.go(&life_url).await;
        let deadlines = d.text("#deadlines").await;
        assert!(
            deadlines.contains("overlamnande") && deadlines.contains("2026-12-18"),
            "{deadlines}"
        );
        let none = d
            .script("return document.querySelector('#request-enforcement') === null")
            .await;
        assert_eq!(none.as_bool(), Some(true), "no utslag yet, no begäran V");
        d.click("#decision option[value='utslag']").await;
        d.type_into("#decision-note", "Utslag received on paper, dated 2026-11-30")
            .await;
        d.click_and_wait("#record-decision").await;
        assert_eq!(d.text("#case-state").await, "decided");
        let timeline = d.text("#timeline").await;
        assert!(
            timeline.contains("accepted → decided")
                && timeline.contains("paper decision")
                && timeline.matches("Utslag received on paper").count() == 1,
            "the paper decision's note once: {timeline}"
        );
        d.click_and_wait("#request-enforcement").await;
        let requests = d.text("#requests").await;
        assert!(
            requests.contains("A-2026-000124-V") && requests.contains("approved"),
            "{requests}"
        );
        let none = d
            .script("return document.querySelector('#request-enforcement') === null")
            .await;
        assert_eq!(none.as_bool(), Some(true), "requested once, not offered again");
        d.screenshot("case-life").await;
        // What the engine refuses comes back as a page saying why, and changes nothing: a decided case cannot be
        // written off, nor handed to a court (only a disputed one can).
        for (form, status, why) in [
            (
                vec![("decision", "written_off"), ("note", "avskrivning")],
                409,
                "cannot become written_off",
            ),
            (vec![("request", "court")], 422, "begaran.court_not_disputed"),
        ] {
            let action = if form[0].0 == "decision" { "decision" } else { "request" };
            let r = http
                .post(srv.url(&format!("/console/case/{life_id}/{action}")))
                .bearer_auth(&operator)
                .header("origin", srv.base.clone())
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{action}");
            let text = r.text().await.unwrap();
            assert!(text.contains(why), "{text}");
        }
        d.go(&life_url).await;
        assert_eq!(d.text("#case-state").await, "decided");
        d.script("document.querySelector('#ledger-h').scrollIntoView(); return null")
            .await;
        d.screenshot("case-life-ledger").await;
        // The new states in the overview's table and the cases list's filter.
        d.go(&srv.url("/console")).await;
        assert!(d.text("#per-state").await.contains("decided"));
        d.go(&srv.url("/console/cases")).await;
        d.find("#f-state option[value='disputed']").await;
        d.click("#f-state option[value='decided']").await;
        d.click_and_wait("#filter-button").await;
        assert!(d.text("#cases").await.contains("A-2026-000124"));

        // The invalid case: every issue with field, rule and value.
        d.go(&srv.url("/console/cases?state=invalid")).await;
        let link = d.find_by("link text", "BAD-2026-1").await;
        d.click_element(&link).await;
        d.find("#timeline").await;
        let issues = d.text("#issues").await;
        assert!(
            issues.contains("personnummer") && issues.contains("19121212-1213"),
            "{issues}"
        );
        d.screenshot("case-invalid").await;

        // Alerts: a second daemon with its jobs on the same database raises, at start, the SHS node it cannot
        // reach and the case Kronofogden rejected; it records both in the alert log.
        let jobs = inst.serve(&[], &[]);
        let mut alerts_page = String::new();
        for _ in 0..100 {
            alerts_page = http
                .get(jobs.url("/console/alerts"))
                .bearer_auth(&operator)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if alerts_page.contains("shs_unreachable") && alerts_page.contains("file_rejected") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(alerts_page.contains("file_rejected"), "{alerts_page}");
        // The browser's session (cookies are per host) works on it; the overview counts both, unacknowledged.
        d.go(&jobs.url("/console")).await;
        assert!(d.text("#need-alerts").await.starts_with("2 "), "{}", d.text("#need-alerts").await);
        d.click_and_wait("#need-alerts a").await;
        assert!(d.current_url().await.ends_with("/console/alerts"));
        let current = d.text("#current-alerts").await;
        assert!(
            current.contains("shs_unreachable")
                && current.contains("SHS node")
                && current.contains("Kronofogden rejected 1 case(s)")
                && current.contains("N-2026-9"),
            "{current}"
        );
        // The rejection links to its file.
        let link = d.find_by("partial link text", "file ").await;
        let href = d
            .call(reqwest::Method::GET, &format!("/element/{link}/attribute/href"), Value::Null)
            .await;
        assert!(href.as_str().unwrap().contains("/console/file/"), "{href}");
        d.screenshot("alerts").await;
        // Acknowledge the SHS alert: it shows who acknowledged it, and the overview counts one.
        let ack = d
            .script(
                "return [...document.querySelectorAll('#current-alerts tbody tr')]\
                 .find(r => r.textContent.includes('shs_unreachable')).querySelector('button').id",
            )
            .await;
        d.click_and_wait(&format!("#{}", ack.as_str().unwrap())).await;
        let current = d.text("#current-alerts").await;
        assert!(current.contains("by api:ops"), "{current}");
        let recent = d.text("#recent-alerts").await;
        assert!(recent.contains("shs_unreachable") && recent.contains("by api:ops"), "{recent}");
        d.screenshot("alerts-acknowledged").await;
        d.go(&jobs.url("/console")).await;
        assert!(d.text("#need-alerts").await.starts_with("1 "));

        // A disputed case within its window: the operator asks for överlämnande to the tingsrätt and it is
        // approved. The dispute is stored as the poll stores a BESTRID (the case moves, its sista_dag is kept).
        let court_id = {
            let url = format!("sqlite://{}/fogd.db", inst.path().display());
            let store = fogd::store::Store::open(&url, 1).await.unwrap();
            let row = store.case_by_id(life_id).await.unwrap().unwrap();
            let mut case: Value = serde_json::from_str(row.case_json.as_deref().unwrap()).unwrap();
            case["reference"] = json!("K-2026-000900");
            case["requests"] = json!({"enforcement": false, "court_if_disputed": false});
            let disputed = fogd::store::NewCase {
                reference: "K-2026-000900".into(),
                kind: row.kind.clone(),
                intressentkod: row.intressentkod.clone(),
                state: fogd::domain::CaseState::Disputed,
                input_json: String::new(),
                case_json: Some(case.to_string()),
                content_hash: "K-2026-000900".into(),
                issues_json: "[]".into(),
                hold_reason: None,
                concerns: None,
                malnummer: Some("BF-900".into()),
                source: None,
                source_line: None,
                search_keys: None,
                debtor_keys: None,
            };
            store
                .upsert_cases(&[disputed], "test", chrono::Utc::now())
                .await
                .unwrap();
            let id = store
                .cases_by_reference("K-2026-000900", None)
                .await
                .unwrap()[0]
                .id;
            let due = chrono::Utc::now().date_naive() + chrono::Days::new(28);
            store
                .set_deadline(id, "overlamnande", due, "BESTRID SUPRO.DEV.BESTRID")
                .await
                .unwrap();
            store.close().await;
            id
        };
        d.go(&srv.url(&format!("/console/case/{court_id}"))).await;
        assert_eq!(d.text("#case-state").await, "disputed");
        d.click_and_wait("#request-court").await;
        let requests = d.text("#requests").await;
        assert!(
            requests.contains("K-2026-000900-O") && requests.contains("approved"),
            "{requests}"
        );
        let none = d
            .script("return document.querySelector('#request-court') === null")
            .await;
        assert_eq!(none.as_bool(), Some(true), "requested once, not offered again");
        d.screenshot("case-court-request").await;
        (case_url, file_url, jobs)
    }
    .await;
    let _ = http
        .delete(format!("{base}/session/{}", d.session))
        .send()
        .await;
    let _ = driver.kill();
    let _ = driver.wait();
    let (result, file_url, jobs) = result;

    // A search by person as a viewer: no hits by debtor, and a note saying why.
    let page = http
        .get(srv.url("/console/search?q=19121212-1212"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"person-note\"")
            && page.contains("personal data")
            && !page.contains("debtor-results"),
        "{page}"
    );
    let case_path = result
        .split_once("/console/")
        .map(|(_, p)| format!("/console/{p}"))
        .unwrap();

    // Export: Swedish CSV, and a workbook (A-2026-000124 is decided since its paper utslag above).
    let csv = http
        .get(srv.url("/console/cases.csv?state=decided"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("cases.csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}Reference;Kind;State;"), "{csv}");
    assert!(
        csv.contains("A-2026-000124;betalningsforelaggande;decided;DEV;"),
        "{csv}"
    );
    assert!(!csv.contains("A-2026-000123"), "{csv}");
    let all = http
        .get(srv.url("/console/cases.csv"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        all.contains("A-2026-000123") && all.contains("19121212-1212"),
        "{all}"
    );
    let xlsx = http
        .get(srv.url("/console/cases.xlsx?state=decided"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    use calamine::Reader as _;
    let sheet = book.worksheet_range("Case status").unwrap();
    let refs: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert!(refs.contains(&"A-2026-000124".to_string()), "{refs:?}");
    assert!(
        matches!(sheet.rows().nth(1).unwrap()[6], calamine::Data::Float(_)),
        "amounts are numbers"
    );

    // A viewer: numbers masked on the page and in the export, no actions, no raw file.
    let file_page = http
        .get(&file_url)
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(file_page.contains("file-facts") && !file_page.contains("id=\"downloads\""));
    let page = http
        .get(srv.url(&case_path))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("19121212-****") && !page.contains("19121212-1212"));
    assert!(!page.contains("hold-form") && !page.contains("note-form"));
    assert!(!page.contains("decision-form") && !page.contains("request-court-form"));
    let csv = http
        .get(srv.url("/console/cases.csv"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("19121212-****") && !csv.contains("19121212-1212"),
        "{csv}"
    );
    let r = http
        .post(srv.url(&format!("{case_path}/note")))
        .bearer_auth(&viewer)
        .header("origin", srv.base.clone())
        .form(&[("text", "viewer note")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A form without the session's anti-forgery token changes nothing; with it, the note is kept.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = sign_in(&no_redirect, &srv, &operator).await;
    let cookie = set_cookie(&signed, "fogd_session").unwrap();
    let html = http
        .get(srv.url(&case_path))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    for (token, status) in [("forged", 403), (csrf.as_str(), 303)] {
        let r = no_redirect
            .post(srv.url(&format!("{case_path}/note")))
            .header("cookie", &cookie)
            .header("origin", srv.base.clone())
            .form(&[("csrf", token), ("text", &format!("note with {status}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "csrf {token}");
    }
    let html = http
        .get(srv.url(&case_path))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("note with 303") && !html.contains("note with 403"));
    let r = no_redirect
        .post(srv.url(&format!("{case_path}/decision")))
        .header("cookie", &cookie)
        .header("origin", srv.base.clone())
        .form(&[
            ("csrf", "forged"),
            ("decision", "written_off"),
            ("note", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "paper decision without the anti-forgery token"
    );
    alert_forms(
        &http,
        &no_redirect,
        &jobs,
        &viewer,
        &operator,
        &cookie,
        &csrf,
    )
    .await;
}
