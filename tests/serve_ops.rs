//! Operations of `fogd serve`: systemd notify (READY, WATCHDOG), graceful SIGTERM, token CLI, reports, doctor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "serve_support/mod.rs"]
mod serve_support;

use serve_support::Install;
use std::time::Duration;

#[test]
fn notify_ready_watchdog_and_sigterm() {
    let inst = Install::new("");
    let sock_path = inst.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut srv = inst.serve(
        &[],
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !(got.iter().any(|m: &String| m == "READY=1")
        && got.iter().filter(|m| *m == "WATCHDOG=1").count() >= 2)
    {
        let n = sock.recv(&mut buf).expect("no notify message within 10 s");
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let status = srv.terminate();
    assert!(status.success(), "exit {status:?}");
    let n = sock.recv(&mut buf).unwrap();
    let mut rest = vec![String::from_utf8_lossy(&buf[..n]).into_owned()];
    sock.set_nonblocking(true).unwrap();
    while let Ok(n) = sock.recv(&mut buf) {
        rest.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(rest.iter().any(|m| m == "STOPPING=1"), "{rest:?}");
    let log = std::fs::read_to_string(&srv.log).unwrap();
    assert!(log.contains("\"stopped\""), "{log}");
    // Logs are JSON lines when not on a terminal.
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}

#[test]
fn token_list_revoke_report_and_doctor() {
    let inst = Install::new("");
    let t = inst.token("viewer", "wallboard");
    assert!(t.starts_with("fogd_") && t.len() == 69);
    let out = inst
        .cmd()
        .args(["token", "list", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "wallboard");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&t),
        "the secret is never listed"
    );
    let st = inst
        .cmd()
        .args(["token", "revoke", "wallboard"])
        .status()
        .unwrap();
    assert!(st.success());
    let st = inst
        .cmd()
        .args(["token", "revoke", "wallboard"])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(3));

    // Reports: import the example cases, then status as CSV and xlsx.
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases/cases.json");
    let st = inst.cmd().args(["import", cases]).status().unwrap();
    assert!(st.success() || st.code() == Some(3));
    let csv = inst.path().join("status.csv");
    let out = inst
        .cmd()
        .args([
            "report",
            "--kind",
            "status",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--out",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    // CSV for Swedish Excel: BOM, `;`, decimal comma (tests/newcomer.rs checks the cells in detail).
    assert!(
        text.starts_with("\u{feff}reference;kind;intressentkod;state"),
        "{text}"
    );
    assert!(
        text.contains("A-2026-000123;betalningsforelaggande;DEV;journal"),
        "{text}"
    );
    let xlsx = inst.path().join("rej.xlsx");
    let out = inst
        .cmd()
        .args([
            "report",
            "--kind",
            "rejections",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--out",
        ])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    let out = inst
        .cmd()
        .args([
            "report",
            "--kind",
            "status",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
            "--out",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Doctor: no certificates yet → 12; with dev certs but no SHS node → 13; a group-readable key → 12.
    let out = inst.cmd().args(["doctor"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(12),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let st = inst
        .cmd()
        .args(["dev-certs", "fogd-data/certs"])
        .status()
        .unwrap();
    assert!(st.success());
    let out = inst.cmd().args(["doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(13), "{text}");
    assert!(
        text.contains("ok    database") && text.contains("FAIL  shs node"),
        "{text}"
    );
    let out = inst.cmd().args(["doctor", "--skip-shs"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    use std::os::unix::fs::PermissionsExt;
    let key = inst.path().join("fogd-data/certs/client-identity.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = inst.cmd().args(["doctor", "--skip-shs"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(12), "{text}");
    assert!(text.contains("readable by group or others"), "{text}");
}

/// Graceful shutdown with a send in flight: the simulated node answers the send only after 4 s; SIGTERM while
/// the file is `sending` lets the send pass finish, so the file ends `sent` (not `sending` or
/// `outcome_unknown`) and the process exits 0. The scheduled send job also built the file (no cut-off).
#[test]
fn sigterm_during_a_slow_send_leaves_the_file_sent() {
    let inst = Install::new(
        "[schedule]\nsend = \"* * * * * *\"\npoll = \"0 0 1 1 *\"\n[alerts]\ncheck = \"0 0 1 1 *\"\n",
    );
    // The simulated node with a slow send endpoint.
    let sim = inst.sim(Some("delay=4000@rs"));
    let shs = sim.shs_url.clone();

    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases/cases.json");
    let st = inst.cmd().args(["import", cases]).status().unwrap();
    assert!(st.success() || st.code() == Some(3));
    let st = inst
        .cmd()
        .args(["journal", "approve", "--all"])
        .status()
        .unwrap();
    assert!(st.success());
    let token = inst.token("viewer", "watch");

    let mut srv = inst.serve(&[], &[("FOGD_SHS_URL", shs.as_str())]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let sending_id = loop {
        let v: serde_json::Value = rt.block_on(async {
            client
                .get(srv.url("/api/v1/files?state=sending"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        if let Some(id) = v["files"]
            .as_array()
            .and_then(|f| f.first())
            .map(|f| f["id"].as_i64().unwrap())
        {
            break id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no file in `sending` within 30 s: {}",
            std::fs::read_to_string(&srv.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = srv.terminate();
    assert!(status.success(), "exit {status:?}");
    let out = inst
        .cmd()
        .args([
            "status",
            "--file",
            &sending_id.to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["file"]["state"], "sent", "{v}");
    assert!(v["file"]["sent_at"].is_string(), "{v}");
    let log = std::fs::read_to_string(&srv.log).unwrap();
    assert!(log.contains("file sent"), "{log}");
}
