#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `fogd import`, `fogd journal`, `fogd status` run as a user would, against a temp SQLite database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TODAY: &str = "2026-11-20";

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("fogd.toml");
        let db = dir.path().join("data/fogd.db");
        std::fs::write(
            &config,
            format!("[database]\nurl = \"sqlite://{}\"\n", db.display()),
        )
        .unwrap();
        Env { dir, config }
    }

    fn fogd(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_fogd"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("FOGD_LOG", "warn")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    fn import(&self, file: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["import", file.to_str().unwrap(), "--today", TODAY];
        args.extend_from_slice(extra);
        self.fogd(&args)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cases")
        .join(p)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses `--format json` output: the problem objects and the summary.
fn json_lines(o: &Output) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut problems = Vec::new();
    let mut summary = None;
    for line in stdout(o).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(s) = v.get("summary") {
            summary = Some(s.clone());
        } else {
            problems.push(v);
        }
    }
    (problems, summary.expect("a summary object"))
}

fn status_json(env: &Env, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["status", "--format", "json"];
    args.extend_from_slice(extra);
    let o = env.fogd(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    v["cases"].as_array().unwrap().clone()
}

#[test]
fn fixtures_import_cleanly_and_reimport_is_unchanged() {
    let env = Env::new();
    for (file, n) in [("cases.json", 7), ("cases.csv", 3)] {
        let o = env.import(&fixture(file), &["--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let (problems, summary) = json_lines(&o);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(summary["read"], n);
        assert_eq!(summary["accepted"], n);
        let again = env.import(&fixture(file), &["--format", "json"]);
        assert_eq!(again.status.code(), Some(0));
        let (_, summary) = json_lines(&again);
        assert_eq!(summary["unchanged"], n, "{summary}");
        assert_eq!(summary["accepted"], 0);
    }
    let cases = status_json(&env, &[]);
    assert_eq!(cases.len(), 10);
    let kinds: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 6, "all six kinds: {kinds:?}");
    assert!(cases.iter().all(|c| c["state"] == "journal"));
    // The text output has a summary table.
    let o = env.import(&fixture("cases.json"), &[]);
    assert!(
        stdout(&o).contains("unchanged          7"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn dry_run_stores_nothing() {
    let env = Env::new();
    let o = env.import(&fixture("cases.json"), &["--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json_lines(&o).1["accepted"], 7);
    assert!(status_json(&env, &[]).is_empty());
}

#[test]
fn every_bad_row_reports_its_rule() {
    let env = Env::new();
    let path = fixture("bad/bad-rows.csv");
    let o = env.import(&path, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let (problems, summary) = json_lines(&o);
    // The rule each case breaks is written in its customer_number column.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        expected.insert(f[0].to_string(), f[5].to_string());
    }
    assert!(expected.len() >= 25);
    for (reference, rule) in &expected {
        let hit = problems
            .iter()
            .find(|p| p["reference"] == reference.as_str() && p["rule"] == rule.as_str());
        let p = hit.unwrap_or_else(|| panic!("{reference}: no {rule} in {problems:#?}"));
        assert_eq!(p["source"], "bad-rows.csv");
        assert!(p["line"].as_u64().unwrap() >= 2);
        assert!(!p["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(summary["read"], expected.len());
    assert_eq!(summary["held"], 3);
    assert_eq!(summary["invalid"], expected.len() - 3);
    // Personal numbers are shown unmasked in the error output.
    assert!(problems.iter().any(|p| p["value"] == "19121212-1213"));
    // Invalid cases are kept with their issues.
    let cases = status_json(&env, &["--case", "B-001"]);
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["state"], "invalid");
    assert_eq!(cases[0]["errors"][0]["rule"], "personnummer.checksum");
    let held = status_json(&env, &["--case", "B-022"]);
    assert_eq!(held[0]["state"], "held");
    assert!(held[0]["hold_reason"]
        .as_str()
        .unwrap()
        .contains("cost.cap"));
}

#[test]
fn ten_thousand_rows_with_three_percent_bad_lose_nothing() {
    let env = Env::new();
    let mut csv = String::from("reference,kind,creditor_id,creditor_name,debtor_id,debtor_name,debtor_street,debtor_postal_code,debtor_city,claim_kind,amount,due_date,basis\n");
    let mut bad = std::collections::BTreeMap::new();
    for i in 0..10_000u32 {
        let reference = format!("R-{i:06}");
        let line = i as u64 + 2;
        let (id, amount) = match i % 100 {
            0 => ("19121212-1213", "100"), // bad check digit
            1 => ("19121212-1212", "-5"),  // amount not positive
            2 => ("19121212-1212", "abc"), // amount format
            _ => ("19121212-1212", "1250,50"),
        };
        if i % 100 < 3 {
            bad.insert(reference.clone(), line);
        }
        csv.push_str(&format!(
            "{reference},betalningsforelaggande,556036-0793,Exempel Kredit AB,{id},Åsa Öberg,Storgatan {i},111 22,Stockholm,kapital,\"{amount}\",2026-02-09,Faktura {i}\n"
        ));
    }
    let path = env.write("big.csv", csv.as_bytes());
    let o = env.import(&path, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let (problems, summary) = json_lines(&o);
    assert_eq!(summary["read"], 10_000);
    assert_eq!(summary["accepted"], 9_700);
    assert_eq!(summary["invalid"], 300);
    assert_eq!(problems.len(), 300);
    for p in &problems {
        let reference = p["reference"].as_str().unwrap();
        assert_eq!(
            Some(&p["line"].as_u64().unwrap()),
            bad.get(reference),
            "{p}"
        );
        assert!(
            ["debtor_id", "amount"].contains(&p["field"].as_str().unwrap()),
            "{p}"
        );
        assert!(p["rule"].as_str().unwrap().contains('.'));
    }
    let cases = status_json(&env, &[]);
    assert_eq!(cases.len(), 10_000, "nothing lost");
    assert_eq!(
        cases.iter().filter(|c| c["state"] == "invalid").count(),
        300
    );
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let env = Env::new();
    let o = env.import(&env.dir.path().join("missing.csv"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));

    let unknown = env.write(
        "typo.csv",
        "reference;kind;debtor_nmae\nA;betalningsforelaggande;X\n".as_bytes(),
    );
    let o = env.import(&unknown, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("debtor_nmae"), "{}", stderr(&o));

    let cp1252 = env.write("latin.csv", b"reference;debtor_name\nA;\xd6berg\n");
    let o = env.import(&cp1252, &["--encoding", "utf-8"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("line 2") && stderr(&o).contains("not UTF-8"),
        "{}",
        stderr(&o)
    );
    let o = env.import(&cp1252, &["--encoding", "ebcdic"]);
    assert_eq!(o.status.code(), Some(2));

    let utf16 = env.write("u16.csv", b"\xff\xfer\x00e\x00");
    let o = env.import(&utf16, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("UTF-16"), "{}", stderr(&o));

    let broken = env.write("broken.json", b"[{\"reference\": \"A\"}");
    let o = env.import(&broken, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn windows_1252_csv_is_detected() {
    let env = Env::new();
    let text = "reference;kind;creditor_id;creditor_name;debtor_id;debtor_name;claim_kind;amount;due_date;basis\nW-1;betalningsforelaggande;556036-0793;Exempel Kredit AB;19121212-1212;Åsa Öberg;kapital;100;2026-02-09;Hyra för maj\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let path = env.write("w.csv", &bytes);
    let o = env.import(&path, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let cases = status_json(&env, &["--case", "W-1"]);
    assert_eq!(cases[0]["state"], "journal");
}

#[test]
fn replaced_while_in_journal_and_journal_review() {
    let env = Env::new();
    let one = |amount: &str| {
        format!("{{\"reference\":\"J-1\",\"kind\":\"betalningsforelaggande\",\"creditor\":{{\"id\":\"556036-0793\",\"name\":\"Kredit AB\"}},\"debtors\":[{{\"id\":\"19121212-1212\",\"name\":\"Tolvan\"}}],\"claims\":[{{\"kind\":\"kapital\",\"amount\":\"{amount}\",\"due_date\":\"2026-02-09\",\"basis\":\"Faktura\"}}]}}\n{{\"reference\":\"J-2\",\"kind\":\"aterkallelse\",\"concerns\":\"J-1\",\"date\":\"2026-06-01\",\"reason\":\"betald\"}}\n")
    };
    let path = env.write("j.jsonl", one("100").as_bytes());
    assert_eq!(env.import(&path, &[]).status.code(), Some(0));
    std::fs::write(&path, one("200")).unwrap();
    let o = env.import(&path, &["--format", "json"]);
    let (_, summary) = json_lines(&o);
    assert_eq!(summary["accepted"], 1, "{summary}");
    assert_eq!(summary["unchanged"], 1);

    let o = env.fogd(&["journal", "hold", "J-1", "--reason", "Kunden ringde"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("held J-1"), "{}", stdout(&o));
    let o = env.fogd(&["journal", "approve", "--all"]);
    assert!(stdout(&o).contains("approved J-2"));
    assert!(
        !stdout(&o).contains("approved J-1"),
        "held cases need their reference"
    );
    let o = env.fogd(&["journal", "list"]);
    assert!(stdout(&o).contains("Kunden ringde"), "{}", stdout(&o));
    let o = env.fogd(&["journal", "approve", "J-1", "NOPE"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("approved J-1") && stdout(&o).contains("skipped NOPE"));
    let o = env.fogd(&["journal", "approve"]);
    assert_eq!(o.status.code(), Some(2));

    let cases = status_json(&env, &[]);
    assert_eq!(cases.len(), 2);
    for c in &cases {
        for key in ["reference", "kind", "state", "errors"] {
            assert!(c.get(key).is_some(), "{key} in {c}");
        }
        assert_eq!(c["state"], "approved");
        // The approved återkallelse waits for J-1's målnummer; J-1 waits for nothing.
        let want = if c["reference"] == "J-2" {
            serde_json::json!("waiting for målnummer of J-1")
        } else {
            serde_json::Value::Null
        };
        assert_eq!(c["waiting"], want, "{c}");
    }
    let o = env.fogd(&["status", "--case", "NOPE"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn environment_overrides_keep_the_type_of_their_key() {
    let env = Env::new();
    let run = |vars: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fogd"));
        c.arg("--config")
            .arg(&env.config)
            .args(["status", "--format", "json"])
            .env("FOGD_LOG", "warn")
            .current_dir(env.dir.path());
        for (k, v) in vars {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // An organisation number is all digits but a string key: it was refused as "invalid type: integer".
    let out = run(&[("FOGD_INGIVARE_ORG_NUMBER", "5599999991")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A number key given text: a usage error naming the variable.
    let out = run(&[("FOGD_BATCH_MAX_CASES_PER_FILE", "many")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FOGD_BATCH_MAX_CASES_PER_FILE") && err.contains("expected integer"),
        "{err}"
    );
}

#[test]
fn the_log_section_decides_the_shape_and_filter_of_stderr() {
    let env = Env::new();
    let missing = env.dir.path().join("missing.json");
    // Not a terminal and `[log] format` auto: the last word is a JSON line.
    let out = env.fogd(&["import", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.trim_start().starts_with('{'), "{err}");
    // `[log] format = "text"`: plain text.
    let db = env.dir.path().join("data/fogd.db");
    std::fs::write(
        &env.config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[log]\nformat = \"text\"\n",
            db.display()
        ),
    )
    .unwrap();
    let out = env.fogd(&["import", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.starts_with("fogd: "), "{err}");
    // A level that is no filter is refused at start, naming the key.
    std::fs::write(
        &env.config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[log]\nformat = \"text\"\nlevel = \"fogd=loud\"\n",
            db.display()
        ),
    )
    .unwrap();
    let out = env.fogd(&["status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("log.level"), "{err}");
}

/// Intake's FOGD-REF-2 rules follow the installation's edition: a database that recorded FOGD-REF-1 (one made
/// before editions existed) keeps taking a verkställighet with a co-debtor (FOGD-REF-1's record 04); a new database
/// (FOGD-REF-2) refuses it with `verkstallighet.one_debtor`.
#[test]
fn verkstallighet_rules_follow_the_database_edition() {
    let case = br#"{"reference":"V-1","kind":"verkstallighet","creditor":{"id":"556036-0793","name":"Kredit AB"},
        "title":{"kind":"utslag","reference":"12-123456-26","date":"2026-04-20"},
        "debtors":[{"id":"198211059954","name":"A","street":"G 1","postal_code":"83134","city":"X"},
                   {"name":"B","street":"G 2","postal_code":"83134","city":"X"}],
        "claims":[{"kind":"kapital","amount":"9800","due_date":"2026-01-31","basis":"Utslag"}]}"#;
    let new = Env::new();
    let file = new.write("v.json", case);
    let o = new.import(&file, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("verkstallighet.one_debtor"),
        "{}",
        stdout(&o)
    );

    let old = Env::new();
    let file = old.write("v.json", case);
    // Make the database, then record FOGD-REF-1 as a database from before 0008 would have it.
    let o = old.fogd(&["status"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = old.dir.path().join("data/fogd.db");
    let s = Command::new("sqlite3")
        .arg(&db)
        .arg(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('layouts.edition', 'FOGD-REF-1')",
        )
        .status()
        .unwrap();
    assert!(s.success());
    let o = old.import(&file, &[]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
}
