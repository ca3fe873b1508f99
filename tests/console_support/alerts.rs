//! The alerts page's forms in the console's browser test (tests/console_browser.rs), through HTTP: a viewer sees
//! the alerts but no acknowledge button and may not acknowledge; an operator's form without the session's
//! anti-forgery token changes nothing; with it, the alert is acknowledged.

use super::serve_support::Server;

/// The checks above on the daemon `jobs` (with its alerts), for the `viewer` and `operator` bearer tokens and the
/// operator's session `cookie` with its anti-forgery token `csrf`.
pub async fn alert_forms(
    http: &reqwest::Client,
    no_redirect: &reqwest::Client,
    jobs: &Server,
    viewer: &str,
    operator: &str,
    cookie: &str,
    csrf: &str,
) {
    // Alerts: a viewer sees them but no acknowledge button and may not acknowledge; an operator's form without
    // the session's anti-forgery token changes nothing.
    let page = http
        .get(jobs.url("/console/alerts"))
        .bearer_auth(viewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("file_rejected") && !page.contains("Acknowledge</button>"),
        "{page}"
    );
    let ack_path = hidden_ack_path(
        &http
            .get(jobs.url("/console/alerts"))
            .bearer_auth(operator)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let r = http
        .post(jobs.url(&ack_path))
        .bearer_auth(viewer)
        .header("origin", jobs.base.clone())
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = no_redirect
        .post(jobs.url(&ack_path))
        .header("cookie", cookie)
        .header("origin", jobs.base.clone())
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "ack without the anti-forgery token");
    let page = http
        .get(jobs.url("/console/alerts"))
        .bearer_auth(operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden_ack_path(&page), ack_path, "still unacknowledged");
    let r = no_redirect
        .post(jobs.url(&ack_path))
        .header("cookie", cookie)
        .header("origin", jobs.base.clone())
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = http
        .get(jobs.url("/console/alerts"))
        .bearer_auth(operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&ack_path), "acknowledged: {page}");
}

/// The action of the first acknowledge form on an alerts page.
fn hidden_ack_path(html: &str) -> String {
    let start = html
        .find("action=\"/console/alerts/")
        .expect("an acknowledge form")
        + 8;
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}
