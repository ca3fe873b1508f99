//! The formats commands through the real binary: `fogd build`, `fogd inspect`, `fogd layout check`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn fogd(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fogd"));
    c.current_dir(dir)
        .env("FOGD_LOG", "error")
        .env_remove("FOGD_CONFIG");
    c
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn build_then_inspect_json_then_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = fogd(tmp.path())
        .args([
            "build",
            "--internal",
            "--kind",
            "betalningsforelaggande",
            "--lopnummer",
            "7",
            "--intressentkod",
            "DEV",
            "--created",
            "2024-03-01T09:30:05",
        ])
        .arg("--input")
        .arg(root().join("fixtures/golden/cases/bfo-ansokan.json"))
        .arg("--out")
        .arg(&out)
        .env("FOGD_LAYOUTS_EDITION", "FOGD-REF-1")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    let paths: Vec<&str> = stdout.lines().collect();
    assert_eq!(paths.len(), 2);
    assert!(
        paths[0].ends_with("DEV.ANSOKAN") && paths[1].ends_with("DEV.ANSOKAN.MISSIV"),
        "{paths:?}"
    );
    let built = std::fs::read(paths[0]).unwrap();
    assert_eq!(
        built,
        std::fs::read(root().join("fixtures/golden/bfo-ansokan/DEV.ANSOKAN")).unwrap()
    );

    let o = fogd(tmp.path())
        .args(["inspect", "--format", "json"])
        .arg(paths[0])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["layout"], "bfo-ansokan");
    assert_eq!(v["edition"], "FOGD-REF-1");
    assert_eq!(v["records"][0]["line"], 1);
    assert_eq!(v["records"][0]["code"], "00");
    assert_eq!(v["records"][0]["fields"]["posttyp"], "00");
    assert_eq!(v["records"][0]["fields"]["lopnummer"], "000007");
    assert_eq!(v["records"][2]["fields"]["namn"], "Åsa Öberg");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);

    // Break TOT-BEL: exit 3 with a total error naming line and field.
    let mut bad = built.clone();
    let tail = bad.len() - 130;
    bad[tail + 29] = if bad[tail + 29] == b'9' { b'8' } else { b'9' };
    let bad_path = tmp.path().join("BAD.ANSOKAN");
    std::fs::write(&bad_path, &bad).unwrap();
    let o = fogd(tmp.path())
        .args(["inspect", "--format", "json"])
        .arg(&bad_path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["class"], "total");
    assert_eq!(v["errors"][0]["field"], "tot_bel");

    // Unreadable / unrecognised: exit 2.
    let o = fogd(tmp.path())
        .args(["inspect"])
        .arg(tmp.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(tmp.path().join("junk"), b"hello").unwrap();
    let o = fogd(tmp.path()).args(["inspect", "junk"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn layout_check_good_and_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let good = root().join("layouts/fogd-ref-1/vst-ansokan.toml");
    let o = fogd(tmp.path())
        .args(["layout", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("start = 65, length = 60", "start = 60, length = 70");
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    let o = fogd(tmp.path())
        .args(["layout", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("record 01, field svarande_namn: columns 60..129 lie outside the record"),
        "{out}"
    );
}

/// Issue 18 point 14: an edition directory or any file of it — layouts, XML layouts, the felkod table — checked
/// together with the felkod table it runs with.
#[test]
fn layout_check_takes_an_edition_and_its_felkod_table() {
    let tmp = tempfile::tempdir().unwrap();
    let check = |p: &Path| {
        let o = fogd(tmp.path())
            .args(["layout", "check"])
            .arg(p)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    // The felkod table alone no longer fails.
    let (code, out) = check(&root().join("layouts/fogd-ref-1/felkoder.toml"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("felkod table, 20 codes"), "{out}");
    // Whole editions: every file named, the table checked with them (each edition has its own).
    for (dir, files) in [("layouts/fogd-ref-1", 11), ("layouts/fogd-ref-2", 18)] {
        let (code, out) = check(&root().join(dir));
        assert_eq!(code, Some(0), "{dir}: {out}");
        assert_eq!(
            out.lines().filter(|l| l.ends_with(": ok")).count(),
            files,
            "{out}"
        );
        assert!(out.contains(", XML, ") == dir.ends_with('2'), "{out}");
    }

    // An edition of our own whose table lacks a class's code and a code the simulator answers with.
    let ed = tmp.path().join("edition");
    std::fs::create_dir(&ed).unwrap();
    for e in std::fs::read_dir(root().join("layouts/fogd-ref-1")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, ed.join(p.file_name().unwrap())).unwrap();
    }
    let table = std::fs::read_to_string(ed.join("felkoder.toml")).unwrap();
    let without_0050 = table
        .replace("code = \"0050\"", "code = \"0059\"")
        .replace("classes = [\"total\"]", "classes = []");
    std::fs::write(ed.join("felkoder.toml"), &without_0050).unwrap();
    let (code, out) = check(&ed);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("felkod 0050 is answered by the simulator but missing"),
        "{out}"
    );
    assert!(
        out.contains("no felkod for the parse-error class \"total\""),
        "{out}"
    );
    // A single layout of that edition is checked with its table too.
    let (code, out) = check(&ed.join("bfo-ansokan.toml"));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("felkod 0050"), "{out}");
    // A table that does not parse, and two files defining one layout.
    std::fs::write(ed.join("felkoder.toml"), "[[felkod]]\ncode = 12\n").unwrap();
    std::fs::copy(ed.join("utslag.toml"), ed.join("utslag-copy.toml")).unwrap();
    let (code, out) = check(&ed);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("felkoder.toml: not a valid felkod table"),
        "{out}"
    );
    assert!(out.contains("layout utslag is also defined in"), "{out}");
    std::fs::write(ed.join("felkoder.toml"), &table).unwrap();
    std::fs::remove_file(ed.join("utslag-copy.toml")).unwrap();
    let (code, out) = check(&ed);
    assert_eq!(code, Some(0), "{out}");
}

/// `fogd build` without a database builds the edition `[layouts] edition` names, FOGD-REF-2 when unset
/// (fogd-ref-2.md §1): the FOGD-REF-2 golden file, byte for byte.
#[test]
fn build_uses_fogd_ref_2_unless_configured() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = fogd(tmp.path())
        .args([
            "build",
            "--internal",
            "--kind",
            "betalningsforelaggande",
            "--lopnummer",
            "7",
            "--intressentkod",
            "DEV",
            "--created",
            "2024-03-01T09:30:05",
        ])
        .arg("--input")
        .arg(root().join("fixtures/golden/fogd-ref-2/cases/bfo-ansokan.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let built = std::fs::read(out.join("DEV.ANSOKAN")).unwrap();
    let want =
        std::fs::read(root().join("fixtures/golden/fogd-ref-2/bfo-ansokan/DEV.ANSOKAN")).unwrap();
    assert!(built == want, "not the FOGD-REF-2 golden file");
}
