//! Golden files: every kind built from `fixtures/golden/cases/*.json` must equal the reviewed bytes under
//! `fixtures/golden/<layout>/`. Set `FOGD_UPDATE_GOLDEN=1` to rewrite them (then review the diff by eye).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fogd::domain::{Case, CaseKind};
use fogd::formats::{self, Bekraftelse, FileFacts, FileStatus, Kvittens, LayoutSet, UtslagReport};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden")
}

fn facts() -> FileFacts {
    FileFacts {
        intressentkod: "DEV".into(),
        lopnummer: 7,
        created: NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(9, 30, 5)
            .unwrap(),
        status: FileStatus::Test,
        contact_name: "Driftansvarig".into(),
        contact_phone: "08-000000".into(),
    }
}

fn compare(path: &Path, bytes: &[u8]) {
    if std::env::var_os("FOGD_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        return;
    }
    let want = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with FOGD_UPDATE_GOLDEN=1)", path.display()));
    assert!(
        want == bytes,
        "{} differs from the built bytes:\n{}",
        path.display(),
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn every_kind_matches_its_golden_file() {
    let set = LayoutSet::embedded();
    // The begäran is FOGD-REF-2 only (fogd-ref-2.md §2.5); the FOGD-REF-1 golden files cover every other kind.
    for kind in CaseKind::ALL
        .into_iter()
        .filter(|k| *k != CaseKind::Begaran)
    {
        let name = kind.layout_name();
        let json =
            std::fs::read_to_string(root().join("cases").join(format!("{name}.json"))).unwrap();
        let cases: Vec<Case> = serde_json::from_str(&json).unwrap();
        let built = formats::build_file(&set, kind, &cases, &facts()).unwrap();
        compare(&root().join(name).join(&built.file_name), &built.bytes);
        compare(
            &root().join(name).join(&built.missiv_name),
            &built.missiv_bytes,
        );
        // The golden file parses clean, agrees with its missiv and gives back as many cases.
        let layout = set.get(name).unwrap();
        let parsed = formats::parse_file(layout, &built.bytes);
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        assert!(formats::check_missiv(&set, &built.bytes, &built.missiv_bytes).is_empty());
        let (head, back) = formats::read_cases(&set, &built.bytes).unwrap();
        assert_eq!(head.lopnummer, 7);
        assert_eq!(back.len(), cases.len());
        assert_eq!(
            back.iter().map(|c| &c.reference).collect::<Vec<_>>(),
            cases.iter().map(|c| &c.reference).collect::<Vec<_>>()
        );
        // Every record is 128 characters + CRLF.
        assert_eq!(built.bytes.len() as u64, built.record_count * 130);
    }
}

#[test]
fn inbound_examples_match_their_golden_files() {
    let set = LayoutSet::embedded();
    let read = |n: &str| std::fs::read_to_string(root().join("cases").join(n)).unwrap();
    let k: Kvittens = serde_json::from_str(&read("kvittens.json")).unwrap();
    let bytes = k.build(&set).unwrap();
    compare(
        &root().join("kvittens").join(
            formats::kvittens_file_name(&set, CaseKind::Betalningsforelaggande, "DEV").unwrap(),
        ),
        &bytes,
    );
    assert_eq!(Kvittens::parse(&set, &bytes).unwrap(), k);

    let b: Bekraftelse = serde_json::from_str(&read("bekraftelse.json")).unwrap();
    let bytes = b.build(&set).unwrap();
    compare(
        &root().join("bekraftelse").join(
            formats::bekraftelse_file_name(&set, CaseKind::Betalningsforelaggande, "DEV").unwrap(),
        ),
        &bytes,
    );
    assert_eq!(Bekraftelse::parse(&set, &bytes).unwrap(), b);

    let u: UtslagReport = serde_json::from_str(&read("utslag.json")).unwrap();
    let bytes = u.build(&set).unwrap();
    compare(
        &root()
            .join("utslag")
            .join(formats::utslag_file_name(&set, "DEV").unwrap()),
        &bytes,
    );
    assert_eq!(UtslagReport::parse(&set, &bytes).unwrap(), u);
}

/// FOGD-REF-2: every outbound kind built from `fixtures/golden/fogd-ref-2/cases/*.json` equals its reviewed bytes
/// under `fixtures/golden/fogd-ref-2/<layout>/`, parses clean, agrees with its missiv, names its edition in the head,
/// and reads back to the very same cases (every new field of fogd-ref-2.md §2.1–§2.3 included).
#[test]
fn every_fogd_ref_2_kind_matches_its_golden_file_and_reads_back() {
    let set = LayoutSet::embedded_edition("FOGD-REF-2").unwrap();
    assert_eq!(set.edition(), Some("FOGD-REF-2"));
    let root = root().join("fogd-ref-2");
    for kind in CaseKind::ALL {
        let name = kind.layout_name();
        let json =
            std::fs::read_to_string(root.join("cases").join(format!("{name}.json"))).unwrap();
        let cases: Vec<Case> = serde_json::from_str(&json).unwrap();
        let built = formats::build_file(&set, kind, &cases, &facts()).unwrap();
        compare(&root.join(name).join(&built.file_name), &built.bytes);
        compare(
            &root.join(name).join(&built.missiv_name),
            &built.missiv_bytes,
        );
        let layout = set.get(name).unwrap();
        assert_eq!(layout.edition, "FOGD-REF-2");
        assert_eq!(
            &built.bytes[33..43],
            b"FOGD-REF-2",
            "{name}: utgava in the head"
        );
        let parsed = formats::parse_file(layout, &built.bytes);
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        assert!(formats::check_missiv(&set, &built.bytes, &built.missiv_bytes).is_empty());
        let (head, back) = formats::read_cases(&set, &built.bytes).unwrap();
        assert_eq!((head.lopnummer, head.created), (7, facts().created));
        // `concerns` is fogd's own link between a follow-up and its case; files carry the målnummer instead.
        let want: Vec<Case> = cases
            .iter()
            .cloned()
            .map(|mut c| {
                c.concerns = None;
                c
            })
            .collect();
        assert_eq!(back, want, "{name}");
        let len = layout.record_length as u64 + 2;
        assert_eq!(built.bytes.len() as u64, built.record_count * len);
    }
    // The application shows every new record: Sökande, Ombud and Överlåtelse where the case has them.
    let bfo = std::fs::read(root.join("bfo-ansokan/DEV.ANSOKAN")).unwrap();
    let codes: Vec<&[u8]> = bfo
        .split(|b| *b == b'\n')
        .map(|r| &r[..r.len().min(2)])
        .collect();
    for code in [b"11", b"12", b"13"] {
        assert!(
            codes.contains(&&code[..]),
            "{}",
            String::from_utf8_lossy(code)
        );
    }
    // FOGD-REF-1 layouts never read a FOGD-REF-2 record: they are editions apart.
    let ref1 = LayoutSet::embedded();
    assert!(formats::read_cases(&ref1, &bfo).is_err());
}
