//! What a newcomer and an ops person trip over (issue 18), tested through the real binary: `fogd doctor`'s set-up
//! checks, one certificate set, words in status output, the review list, quiet broken pipes, strict JSON logs of a
//! real run, reports a Swedish office opens, completions and man pages, and the systemd units.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;
mod smtp_support;

use fogd::email::Security;
use serde_json::Value;
use serve_support::Install;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `fogd args` in the installation with extra environment.
fn run(i: &Install, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = i.cmd();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The doctor's line for `name`.
fn doctor_line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.get(6..).is_some_and(|r| r.starts_with(name)))
        .unwrap_or_else(|| panic!("no doctor line {name:?} in\n{out}"))
}

#[test]
fn doctor_catches_the_set_up_traps() {
    // An org number with a wrong check digit: configuration, exit 10, the right digit named.
    let i = Install::new("[ingivare]\norg_number = \"5599999992\"\nintressentkod = \"dv\"\n");
    let o = run(&i, &["doctor", "--skip-shs"], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(10), "{out}{}", stderr(&o));
    let l = doctor_line(&out, "org number");
    assert!(
        l.starts_with("FAIL") && l.contains("check digit should be 1"),
        "{l}"
    );
    let l = doctor_line(&out, "intressentkod");
    assert!(
        l.starts_with("FAIL") && l.contains("capital letters"),
        "{l}"
    );

    // Certificates made for another org number (before the config existed): certificates, exit 12.
    let i = Install::new("");
    assert!(run(&i, &["token", "list"], &[]).status.success()); // creates the database
    let other_org = i.path().join("other-org.toml");
    std::fs::write(&other_org, "[ingivare]\norg_number = \"5560360793\"\n").unwrap();
    let o = run(
        &i,
        &[
            "--config",
            other_org.to_str().unwrap(),
            "dev-certs",
            "fogd-data/certs",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&i, &["doctor", "--skip-shs"], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(12), "{out}");
    let l = doctor_line(&out, "identity sender");
    assert!(
        l.starts_with("FAIL") && l.contains("5560360793") && l.contains("UnknownSender"),
        "{l}"
    );
    assert!(doctor_line(&out, "org number").starts_with("ok"), "{out}");

    // The right org number, but a key that does not belong to the certificate.
    let certs = i.path().join("fogd-data/certs");
    let o = run(&i, &["dev-certs", "fogd-data/certs"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&i, &["doctor", "--skip-shs"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let mismatched = format!(
        "{}{}",
        std::fs::read_to_string(certs.join("client.pem")).unwrap(),
        std::fs::read_to_string(certs.join("server-key.pem")).unwrap()
    );
    std::fs::write(certs.join("client-identity.pem"), mismatched).unwrap();
    let o = run(&i, &["doctor", "--skip-shs"], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(12), "{out}");
    assert!(
        doctor_line(&out, "identity key").starts_with("FAIL"),
        "{out}"
    );
    let o = run(&i, &["dev-certs", "fogd-data/certs"], &[]);
    assert!(o.status.success());

    // The node's CA: a simulator of this set verifies under ca.pem; under another set's CA it does not.
    let sim = i.sim(None);
    let o = run(&i, &["doctor"], &[("FOGD_SHS_URL", &sim.shs_url)]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        doctor_line(&out, "node certificate").starts_with("ok"),
        "{out}"
    );
    let other = i.path().join("other");
    assert!(run(&i, &["dev-certs", "other"], &[]).status.success());
    let o = run(
        &i,
        &["doctor"],
        &[
            ("FOGD_SHS_URL", &sim.shs_url),
            ("FOGD_TLS_CA", other.join("ca.pem").to_str().unwrap()),
        ],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(12), "{out}");
    let l = doctor_line(&out, "node certificate");
    assert!(l.starts_with("FAIL") && l.contains("set [tls] ca"), "{l}");
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn first_use_makes_the_dev_certs_set() {
    let i = Install::new("");
    // `fogd send` needs certificates: they are made on first use (nothing to send).
    let o = run(&i, &["send"], &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let auto = names(&i.path().join("fogd-data/certs"));
    let o = run(&i, &["dev-certs", "by-hand"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(auto, names(&i.path().join("by-hand")));
    for f in [
        "client.pem",
        "client-key.pem",
        "ca-key.pem",
        "client-identity.pem",
    ] {
        assert!(auto.contains(f), "{f} missing from {auto:?}");
    }
}

/// Imports the example cases plus one held for a cost cap and one invalid (a formula as reference).
fn import_examples(i: &Install) -> std::path::PathBuf {
    let mut cases: Vec<Value> = serde_json::from_slice(&serve_support::example_cases()).unwrap();
    let mut held = cases[0].clone();
    held["reference"] = "H-1".into();
    held["claims"][3]["amount"] = "900".into(); // inkassokostnad over the cap: a warning
    cases.push(held);
    let mut bad = cases[0].clone();
    bad["reference"] = "+cmd|' /C calc'!A0".into();
    cases.push(bad);
    let path = i.path().join("cases.json");
    std::fs::write(&path, serde_json::to_vec(&cases).unwrap()).unwrap();
    path
}

#[test]
fn review_list_reimport_counts_and_quiet_broken_pipes() {
    let i = Install::new("");
    let path = import_examples(&i);
    let o = run(&i, &["import", path.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("[reference.characters]"),
        "{}",
        stdout(&o)
    );
    // Re-importing: the invalid case is counted as invalid again, not as 0.
    let o = run(
        &i,
        &["import", path.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    let summary: Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["invalid"], 1, "{summary}");
    assert_eq!(summary["summary"]["held"], 1, "{summary}");
    let o = run(&i, &["import", path.to_str().unwrap()], &[]);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["invalid", "1"]),
        "{}",
        stdout(&o)
    );

    // The review list shows what is being approved: creditor, masked debtor, claims total, warnings.
    let o = run(&i, &["journal", "list"], &[]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = out
        .lines()
        .find(|l| l.starts_with("A-2026-000123 "))
        .unwrap();
    assert!(line.contains("Exempel Kredit AB"), "{line}");
    assert!(line.contains("19121212-**** T* T* +1"), "{line}");
    assert!(line.contains("4890.50"), "{line}");
    assert!(
        !out.contains("19121212-1212") && !out.contains("Tolvansson"),
        "{out}"
    );
    let held = out.lines().find(|l| l.starts_with("H-1 ")).unwrap();
    assert!(held.contains("[cost."), "{held}");
    let o = run(&i, &["journal", "list", "--format", "json"], &[]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reference"] == "A-2026-000123")
        .unwrap();
    assert_eq!(a["claims_total"], "4890.50");
    assert_eq!(a["creditor"], "Exempel Kredit AB");

    // Output into a closed pipe: exit 0, not a word on stderr.
    for args in [
        &["status"][..],
        &["status", "--format", "json"],
        &["journal", "list"],
        &["token", "list"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
    ] {
        let mut c = i.cmd();
        let mut child = c
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before fogd writes
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

/// A JSON value that refuses duplicate keys in any object (serde_json keeps the last one silently).
struct Strict;

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Strict;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
                while a.next_element::<Strict>()?.is_some() {}
                Ok(Strict)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Strict, A::Error> {
                let mut seen = BTreeSet::new();
                while let Some(k) = m.next_key::<String>()? {
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    m.next_value::<Strict>()?;
                }
                Ok(Strict)
            }
        }
        d.deserialize_any(V)
    }
}

/// Every line of `log` is a JSON object without duplicate keys and without Rust `Debug` in its values.
fn assert_strict_json_lines(what: &str, log: &str) {
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        if let Err(e) = serde_json::from_str::<Strict>(line) {
            panic!("{what}: not strict JSON ({e}): {line}");
        }
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v.is_object(), "{what}: {line}");
        assert!(
            !line.contains("Some(") && !line.contains("None\""),
            "{what}: Rust Debug in a field: {line}"
        );
    }
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// A real run: a separate simulator that rejects the first file whole, import, approve, send, poll, `fogd serve`
/// raising the alert, a second server on a taken port; every log line of every process is strict JSON. Then the
/// reports of the day, as a Swedish office opens them.
#[test]
fn a_real_run_logs_strict_json_and_reports_for_excel() {
    let i = Install::new("");
    let mut sim = i.sim(Some("reject=0021*1"));
    let shs = [("FOGD_SHS_URL", sim.shs_url.as_str())];
    let mut logs = Vec::new();
    let path = import_examples(&i);
    let o = run(&i, &["import", path.to_str().unwrap()], &shs);
    logs.push(("import", stderr(&o)));
    let o = run(
        &i,
        &[
            "journal",
            "hold",
            "A-2026-000124",
            "--reason",
            "=HYPERLINK(\"http://x\")",
        ],
        &shs,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&i, &["journal", "approve", "--all"], &shs);
    logs.push(("approve", stderr(&o)));
    let rejected = wait_until(Duration::from_secs(20), || {
        let o = run(&i, &["send"], &shs);
        logs.push(("send", stderr(&o)));
        let o = run(&i, &["poll"], &shs);
        logs.push(("poll", stderr(&o)));
        let o = run(&i, &["status"], &shs);
        stdout(&o).contains("file rejected (U)")
    });
    let o = run(&i, &["status"], &shs);
    assert!(rejected, "{}", stdout(&o));

    // fogd serve raises the alert for the file rejected whole at its first check.
    let mut srv = i.serve(&[], &shs);
    let raised = wait_until(Duration::from_secs(15), || {
        std::fs::read_to_string(&srv.log)
            .unwrap_or_default()
            .contains("\"alert\":\"file_rejected\"")
    });
    // A second server on the same port, and a second simulator on the simulator's port.
    let addr = srv.base.trim_start_matches("http://").to_string();
    let o = run(&i, &["serve", "--listen", &addr], &shs);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).matches("Address already in use").count(),
        1,
        "{}",
        stderr(&o)
    );
    logs.push(("serve on a taken port", stderr(&o)));
    let sim_addr = sim
        .shs_url
        .trim_start_matches("https://")
        .trim_end_matches("/shs")
        .to_string();
    let o = run(
        &i,
        &["sim", "--listen", &sim_addr, "--state", "sim2.db"],
        &shs,
    );
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o).matches("Address already in use").count(),
        1,
        "{}",
        stderr(&o)
    );
    logs.push(("sim on a taken port", stderr(&o)));
    assert!(srv.terminate().success());
    let serve_log = std::fs::read_to_string(&srv.log).unwrap();
    assert!(raised, "{serve_log}");
    logs.push(("serve", serve_log));
    let _ = sim.child.kill();
    for (what, log) in &logs {
        assert_strict_json_lines(what, log);
    }

    // Reports of today, CSV for Swedish Excel and typed xlsx.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
        .to_string();
    let report = |kind: &str, out: &str| {
        run(
            &i,
            &[
                "report", "--kind", kind, "--from", &today, "--to", &today, "--out", out,
            ],
            &[],
        )
    };
    let o = report("status", "status.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read(i.path().join("status.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}reference;kind;".as_bytes()));
    let csv = String::from_utf8(csv).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("A-2026-000123;"))
        .unwrap();
    assert!(row.contains(";4890,50;"), "{row}");
    let held = csv
        .lines()
        .find(|l| l.starts_with("A-2026-000124;"))
        .unwrap();
    assert!(
        held.contains("\"'=HYPERLINK("),
        "formula neutralised: {held}"
    );
    let vst = csv
        .lines()
        .find(|l| l.starts_with("V-2026-000042;"))
        .unwrap();
    assert!(
        vst.contains(";accepted;DEV.EMALIN;1;"),
        "file and löpnummer: {vst}"
    );

    let o = report("status", "status.xlsx");
    assert!(o.status.success(), "{}", stderr(&o));
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(i.path().join("status.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["Case status", "Summary"]);
    let sheet = wb.worksheet_range("Case status").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let a = sheet
        .rows()
        .find(|r| r[0] == Data::String("A-2026-000123".into()))
        .unwrap();
    assert_eq!(a[col("claimed_kr")], Data::Float(4890.5));
    assert!(
        matches!(a[col("created_at")], Data::DateTime(_)),
        "{:?}",
        a[col("created_at")]
    );
    let v = sheet
        .rows()
        .find(|r| r[0] == Data::String("V-2026-000042".into()))
        .unwrap();
    assert_eq!(v[col("lopnummer")], Data::Float(1.0));
    assert_eq!(v[col("file")], Data::String("DEV.EMALIN".into()));

    let o = report("rejections", "rejections.xlsx");
    assert!(o.status.success(), "{}", stderr(&o));
    let wb: Xlsx<_> = open_workbook(i.path().join("rejections.xlsx")).unwrap();
    for name in wb.sheet_names() {
        assert!(name.chars().count() <= 31, "{name}");
    }
    let o = report("status", "status.pdf");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!i.path().join("status.pdf").exists());
}

#[test]
fn completions_and_man_pages_come_from_clap() {
    let i = Install::new("");
    let o = run(&i, &["completions", "bash"], &[]);
    assert!(o.status.success());
    let bash = stdout(&o);
    assert!(
        bash.contains("_fogd()") && bash.contains("complete -F _fogd"),
        "{bash}"
    );
    assert!(bash.contains("dev-certs") && bash.contains("--skip-shs"));
    if Path::new("/bin/bash").exists() {
        let f = i.path().join("fogd.bash");
        std::fs::write(&f, &bash).unwrap();
        let st = Command::new("/bin/bash")
            .arg("-n")
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success(), "bash -n rejects the completion script");
    }
    let zsh = stdout(&run(&i, &["completions", "zsh"], &[]));
    assert!(zsh.starts_with("#compdef fogd"), "{zsh}");
    let fish = stdout(&run(&i, &["completions", "fish"], &[]));
    assert!(fish.contains("complete -c fogd"), "{fish}");
    let man = stdout(&run(&i, &["man"], &[]));
    assert!(
        man.contains(".TH fogd 1") && man.contains("doctor"),
        "{man}"
    );
    let o = run(&i, &["man", "--out-dir", "man1"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pages = names(&i.path().join("man1"));
    assert!(
        pages.contains("fogd.1") && pages.contains("fogd-import.1"),
        "{pages:?}"
    );
}

/// `key=value` lines of one section of a unit file.
fn unit_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

#[test]
fn systemd_units_agree_with_the_defaults() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd");
    let fogd = std::fs::read_to_string(dir.join("fogd.service")).unwrap();
    let sim = std::fs::read_to_string(dir.join("fogd-sim.service")).unwrap();
    // Both run in one working directory with one config, so relative default paths (certificates!) agree.
    let wd = unit_values(&fogd, "WorkingDirectory");
    assert_eq!(wd, ["/var/lib/fogd"]);
    assert_eq!(unit_values(&sim, "WorkingDirectory"), wd);
    for unit in [&fogd, &sim] {
        assert!(unit_values(unit, "ReadWritePaths").contains(&wd[0]));
        let exec = &unit_values(unit, "ExecStart")[0];
        assert!(exec.contains("--config /etc/fogd/fogd.toml"), "{exec}");
        assert!(
            !exec.contains("--state"),
            "the simulator keeps its default state path: {exec}"
        );
    }
    let defaults = fogd::config::Config::default();
    let certs = Path::new(&wd[0]).join(defaults.tls.ca.parent().unwrap());
    assert!(
        fogd.contains(&format!("{}/", certs.display())),
        "fogd.service must name where the certificates are: {}",
        certs.display()
    );

    // systemd's own check, with the binary path pointed at the built fogd.
    let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(analyze) = analyze else {
        eprintln!("skipped: systemd-analyze is not installed (.ci/run installs systemd)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in [("fogd.service", &fogd), ("fogd-sim.service", &sim)] {
        let p = tmp.path().join(name);
        std::fs::write(
            &p,
            text.replace("/usr/local/bin/fogd", env!("CARGO_BIN_EXE_fogd")),
        )
        .unwrap();
        paths.push(p);
    }
    let o = Command::new(analyze)
        .args(["verify", "--man=no"])
        .args(&paths)
        .output()
        .unwrap();
    let said = format!("{}{}", stdout(&o), stderr(&o));
    if said.contains("Failed to connect to bus")
        || said.contains("System has not been booted with systemd")
    {
        eprintln!("skipped: systemd-analyze cannot run here: {said}");
        return;
    }
    assert!(
        o.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
}

/// `[email]` for a test server on `port` with fogd's dev CA.
fn email_config(port: u16, security: Security, ca: &Path) -> fogd::config::EmailConfig {
    fogd::config::EmailConfig {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        security,
        username: Some("fogd".into()),
        password: Some("hemligt".into()),
        ca: Some(ca.to_path_buf()),
        from: "fogd <fogd@inkasso.example>".into(),
        timeout_secs: 10,
    }
}

#[tokio::test]
async fn alerts_are_emailed_over_starttls_with_retries_and_recovery() {
    use fogd::alerts::{AlertKind, Alerter};
    use smtp_support::{Mode, SmtpServer};
    let dir = tempfile::tempdir().unwrap();
    let certs = fogd::certs::write_dev_certs(dir.path(), "5599999991", "Test AB").unwrap();
    let smtp = SmtpServer::start(
        Mode::StartTls,
        &std::fs::read(&certs.server_cert).unwrap(),
        &std::fs::read(&certs.server_key).unwrap(),
        "fogd",
        "hemligt",
        1, // the first delivery is refused with 451: the alert is retried
    );
    let email = email_config(smtp.port, Security::StartTls, &certs.ca);
    let alerts = fogd::config::AlertsConfig {
        email_to: vec!["Drift <drift@inkasso.example>".into()],
        webhook_attempts: 3,
        webhook_backoff_ms: 20,
        ..Default::default()
    };
    let mailer = fogd::email::Mailer::from_config(&email).unwrap();
    assert!(mailer.is_some());
    let a = Alerter::new(&alerts).with_email(mailer);
    let now = chrono::Utc::now();
    assert!(
        a.raise("shs", AlertKind::ShsUnreachable, "SHS node down", now)
            .await
    );
    assert!(a.clear("shs", now).await);
    let got = smtp.received();
    assert_eq!(smtp.refused(), 1);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].user.as_deref(), Some("fogd"), "AUTH after STARTTLS");
    assert_eq!(got[0].to, ["drift@inkasso.example"]);
    let first = got[0].text();
    assert!(
        first.contains("Subject: [fogd] FIRING shs_unreachable: SHS node down"),
        "{first}"
    );
    assert!(
        got[1]
            .text()
            .contains("Subject: [fogd] RECOVERED shs_unreachable"),
        "{}",
        got[1].text()
    );

    // A wrong password is an error that says so, not a silent loss.
    let mut wrong = email.clone();
    wrong.password = Some("fel".into());
    let m = fogd::email::Mailer::from_config(&wrong).unwrap().unwrap();
    let to: Vec<lettre::message::Mailbox> = vec!["drift@inkasso.example".parse().unwrap()];
    let e = m.send(&to, "x", "y", &[]).await.unwrap_err();
    assert!(e.to_string().contains("535"), "{e}");
}

#[tokio::test]
async fn scheduled_reports_are_emailed_over_implicit_tls() {
    use smtp_support::{Mode, SmtpServer};
    let dir = tempfile::tempdir().unwrap();
    let certs =
        fogd::certs::write_dev_certs(&dir.path().join("certs"), "5599999991", "Test AB").unwrap();
    let smtp = SmtpServer::start(
        Mode::ImplicitTls,
        &std::fs::read(&certs.server_cert).unwrap(),
        &std::fs::read(&certs.server_key).unwrap(),
        "fogd",
        "hemligt",
        0,
    );
    let url = format!("sqlite://{}/fogd.db", dir.path().display());
    let store = fogd::store::Store::open(&url, 2).await.unwrap();
    let mut config = fogd::config::Config {
        email: email_config(smtp.port, Security::Tls, &certs.ca),
        ..Default::default()
    };
    config.schedule.reports_dir = dir.path().join("reports");
    config.schedule.reports_email_to = vec!["ekonomi@inkasso.example".into()];
    config.validate().unwrap();
    let delivery = fogd::daemon::ReportDelivery::from_config(&config).unwrap();
    let now = chrono::Utc::now();
    fogd::daemon::scheduled_reports(&store, now, &delivery)
        .await
        .unwrap();
    store.close().await;
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].user.as_deref(), Some("fogd"));
    let text = got[0].text();
    let day = (now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
        - chrono::Duration::days(1))
    .to_string();
    assert!(
        text.contains(&format!("Subject: [fogd] reports for {day}")),
        "{text}"
    );
    for kind in ["status", "receipts", "rejections"] {
        for ext in ["csv", "xlsx"] {
            let name = format!("{kind}-{day}.{ext}");
            assert!(text.contains(&name), "{name} not attached");
            assert!(dir.path().join("reports").join(&name).exists());
        }
    }

    // A recipient list without a relay is a configuration error naming the key.
    let mut bad = fogd::config::Config::default();
    bad.alerts.email_to = vec!["drift@inkasso.example".into()];
    let e = bad.validate().unwrap_err();
    assert!(e.to_string().contains("email.host"), "{e}");
}
