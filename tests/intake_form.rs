//! Issue 18 point 5: one intake form everywhere. `fogd build --input` reads what `fogd import` reads (validated
//! first, with import's problem output and exit codes; the internal form behind `--internal`), and
//! `GET /api/v1/cases/{ref}` answers in the shape `POST /api/v1/cases` accepts, plus fogd's additions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use serde_json::Value;
use serve_support::Install;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_same_cases_file_goes_through_import_and_build() {
    let i = Install::new("");
    let run = |args: &[&str]| i.cmd().args(args).output().unwrap();
    // The JSON example holds every kind, the CSV example (Latin-1 friendly export) betalningsförelägganden.
    let every = [
        "betalningsforelaggande",
        "verkstallighet",
        "fordringsanmalan",
    ];
    for (file, kinds) in [
        ("fixtures/cases/cases.json", &every[..]),
        ("fixtures/cases/cases.csv", &every[..1]),
    ] {
        let path = fixture(file);
        let path = path.to_str().unwrap();
        let o = run(&["import", "--dry-run", path]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", out(&o));
        // Every kind that needs no målnummer from the database, one file each, from the very same file.
        for kind in kinds {
            let dir = i.path().join(format!("out-{kind}"));
            let o = run(&[
                "build",
                "--input",
                path,
                "--kind",
                kind,
                "--lopnummer",
                "3",
                "--out",
                dir.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(0), "{file} {kind}: {}", out(&o));
            let printed = String::from_utf8_lossy(&o.stdout).into_owned();
            let first = printed.lines().next().unwrap_or_default();
            assert!(
                Path::new(first).is_file() && printed.lines().count() == 2,
                "{file} {kind}: {printed}"
            );
            // What was built reads back as a file of that kind's layout.
            let o = run(&["inspect", "--format", "json", first]);
            assert_eq!(o.status.code(), Some(0), "{}", out(&o));
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
            let layout = fogd::domain::CaseKind::parse(kind).unwrap().layout_name();
            assert_eq!(v["layout"], layout, "{v}");
        }
    }
    // Without --kind, the follow-ups in the file need their målnummer: import's problem output, exit 3, nothing
    // written.
    let dir = i.path().join("out-all");
    let cases = fixture("fixtures/cases/cases.json");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "build".to_string(),
            "--input".into(),
            cases.to_str().unwrap().into(),
            "--lopnummer".into(),
            "1".into(),
            "--out".into(),
            dir.to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let o = i.cmd().args(args(&["--format", "json"])).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let problem = lines
        .iter()
        .find(|p| p["reference"] == "A-2026-000125")
        .unwrap();
    assert_eq!(problem["rule"], "build.malnummer_required", "{problem}");
    assert_eq!(problem["field"], "malnummer");
    assert!(problem["line"].as_u64().unwrap() > 1);
    assert_eq!(lines.last().unwrap()["summary"]["invalid"], 3);
    assert!(!dir.exists());

    // A follow-up with its målnummer builds; an invalid case stops the build with import's output (and exit 3,
    // as import), the same lines import prints.
    let mut all: Vec<Value> = serde_json::from_slice(&std::fs::read(&cases).unwrap()).unwrap();
    for c in all.iter_mut() {
        if c.get("concerns").is_some() {
            c["malnummer"] = "B-1234-26".into();
        }
    }
    let with_mal = i.path().join("with-malnummer.json");
    std::fs::write(&with_mal, serde_json::to_vec(&all).unwrap()).unwrap();
    let o = run(&[
        "build",
        "--input",
        with_mal.to_str().unwrap(),
        "--lopnummer",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        12,
        "six kinds, a file and a missiv each: {}",
        out(&o)
    );
    all[0]["debtors"][0]["id"] = "19121212-1213".into();
    let bad = i.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&all).unwrap()).unwrap();
    let bad = bad.to_str().unwrap();
    let o = run(&["import", "--dry-run", bad]);
    assert_eq!(o.status.code(), Some(3));
    let import_line = String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        import_line.contains("[personnummer.checksum]"),
        "{import_line}"
    );
    let dir2 = i.path().join("out-bad");
    let o = run(&[
        "build",
        "--input",
        bad,
        "--lopnummer",
        "1",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().next().unwrap(),
        import_line
    );
    assert!(!dir2.exists());
    // Unreadable input is a usage error, as for import.
    let junk = i.path().join("junk.json");
    std::fs::write(&junk, "[{").unwrap();
    let o = run(&[
        "build",
        "--input",
        junk.to_str().unwrap(),
        "--lopnummer",
        "1",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    let o2 = run(&["import", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), o2.status.code(), "{}", out(&o));
    // The internal form is refused without --internal (it is not intake), and read with it.
    let internal = fixture("fixtures/golden/cases/bfo-ansokan.json");
    let o = run(&[
        "build",
        "--input",
        internal.to_str().unwrap(),
        "--lopnummer",
        "1",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let o = run(&[
        "build",
        "--internal",
        "--input",
        internal.to_str().unwrap(),
        "--lopnummer",
        "1",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn get_of_a_posted_case_round_trips_into_post() {
    let i = Install::new("");
    let submitter = i.token("submitter", "case-system");
    let viewer = i.token("viewer", "watch");
    let srv = i.serve(&["--no-jobs"], &[]);
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        http.post(srv.url("/api/v1/cases"))
            .bearer_auth(submitter.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let get = |reference: &str, token: &str| {
        http.get(srv.url(&format!("/api/v1/cases/{reference}")))
            .bearer_auth(token.to_string())
            .send()
    };
    let cases: Vec<Value> = serde_json::from_slice(&serve_support::example_cases()).unwrap();
    let r = post(serde_json::to_vec(&cases).unwrap()).await.unwrap();
    assert_eq!(r.status(), 201);
    for sent in &cases {
        let reference = sent["reference"].as_str().unwrap();
        let v: Value = get(reference, &submitter)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let got = v["cases"][0].clone();
        // The intake shape: the names POST takes, identity numbers and amounts as text, the rate in percent…
        assert_eq!(got["reference"], reference);
        assert_eq!(got["kind"], sent["kind"]);
        assert!(
            got.get("case").is_none() && got.get("id").is_none(),
            "{got}"
        );
        if let Some(rate) = sent["claims"][0]["interest"]["rate"].as_str() {
            let shown = got["claims"][0]["interest"]["rate"].as_str().unwrap();
            assert_eq!(
                shown.parse::<f64>().unwrap(),
                rate.parse::<f64>().unwrap(),
                "{got}"
            );
            assert!(got["claims"][0]["interest"].get("rate_bp").is_none());
        }
        if sent["debtors"][0]["id"].is_string() {
            // …masked for a submitter (personal data), as written (`19121212-****`, `556677-****`).
            let id = got["debtors"][0]["id"].as_str().unwrap();
            assert!(id.ends_with("-****"), "{got}");
        }
        // …plus fogd's additions.
        assert_eq!(got["state"], "journal");
        assert_eq!(got["events"][0]["to"], "journal");
        assert!(got["issues"].is_array() && got["created_at"].is_string());
    }
    // A viewer's answer is masked too; the operator's is whole and goes back into POST unchanged in meaning.
    let operator = i.token("operator", "ops");
    let first = cases[0]["reference"].as_str().unwrap();
    let masked: Value = get(first, &viewer).await.unwrap().json().await.unwrap();
    assert_eq!(masked["cases"][0]["debtors"][0]["id"], "19121212-****");
    let whole: Value = get(first, &operator).await.unwrap().json().await.unwrap();
    let whole = whole["cases"][0].clone();
    assert_eq!(whole["debtors"][0]["id"], "19121212-1212");
    // GET → POST: accepted as it is (fogd's additions included), stored as the same case.
    let r = post(serde_json::to_vec(&whole).unwrap()).await.unwrap();
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    assert!(status == 200 || status == 201, "{status} {answer}");
    assert_eq!(answer["summary"]["invalid"], 0, "{answer}");
    let again: Value = get(first, &operator).await.unwrap().json().await.unwrap();
    let again = again["cases"][0].clone();
    let strip = |v: &Value| {
        let mut v = v.clone();
        for k in [
            "state",
            "events",
            "created_at",
            "updated_at",
            "hold_reason",
            "issues",
        ] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(strip(&again), strip(&whole));
    // Now that the stored input is the normalised form, sending it back once more changes nothing.
    let r = post(serde_json::to_vec(&again).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // A field that is neither intake nor one of fogd's additions is still refused.
    let mut typo = again.clone();
    typo["stat"] = "x".into();
    let r = post(serde_json::to_vec(&typo).unwrap()).await.unwrap();
    assert_eq!(r.status(), 422);
}
