//! One test per error class: each mutates a reviewed golden file (or a case) and expects the problem, located
//! by line, record and field; plus "no panic on random or truncated bytes" for the parser and the layout loader
//! (the same inputs the fuzz targets take).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fogd::domain::{Amount, Case, CaseKind};
use fogd::formats::{
    self, BuildError, ErrorClass, FileFacts, FileStatus, Layout, LayoutSet, ParseError,
};
use proptest::prelude::*;

const REC: usize = 130;

fn golden() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/bfo-ansokan/DEV.ANSOKAN"
    ))
    .unwrap()
}

fn errors(bytes: &[u8]) -> Vec<ParseError> {
    let set = LayoutSet::embedded();
    formats::parse_file(set.get("bfo-ansokan").unwrap(), bytes).errors
}

/// Overwrites columns (1-based) of line `line` (1-based).
fn put(bytes: &mut [u8], line: usize, col: usize, text: &[u8]) {
    let at = (line - 1) * REC + col - 1;
    bytes[at..at + text.len()].copy_from_slice(text);
}

fn has(errs: &[ParseError], class: ErrorClass, line: Option<u64>, field: Option<&str>) -> bool {
    errs.iter()
        .any(|e| e.class == class && e.line == line && e.field.as_deref() == field)
}

#[test]
fn golden_is_clean() {
    assert!(errors(&golden()).is_empty());
}

#[test]
fn unknown_posttyp() {
    let mut b = golden();
    put(&mut b, 3, 1, b"77");
    let e = errors(&b);
    assert!(has(&e, ErrorClass::UnknownRecord, Some(3), None), "{e:?}");
}

#[test]
fn wrong_record_length_and_overlong_line() {
    let mut b = golden();
    b.remove(2 * REC + 50);
    let e = errors(&b);
    assert!(
        e.iter().any(|x| x.class == ErrorClass::RecordLength
            && x.line == Some(3)
            && x.message.contains("127")),
        "{e:?}"
    );
    let mut b = golden();
    let extra = vec![b'X'; 100_000];
    b.splice(REC - 2..REC - 2, extra);
    let e = errors(&b);
    assert!(
        e.iter().any(|x| x.class == ErrorClass::RecordLength
            && x.line == Some(1)
            && x.message.contains("100128")),
        "{e:?}"
    );
}

#[test]
fn line_endings() {
    let mut b = golden();
    b.remove(2 * REC - 2); // line 2 ends with LF only
    let e = errors(&b);
    assert!(has(&e, ErrorClass::LineEnding, Some(2), None), "{e:?}");
    let mut b = golden();
    b[2 * REC - 1] = b'X'; // CR without LF: lines 2 and 3 run together
    let e = errors(&b);
    assert!(has(&e, ErrorClass::RecordLength, Some(2), None), "{e:?}");
    assert!(has(&e, ErrorClass::Character, Some(2), None), "{e:?}");
    let mut b = golden();
    b.truncate(b.len() - 2);
    let e = errors(&b);
    assert!(
        e.iter()
            .any(|x| x.class == ErrorClass::LineEnding && x.message.contains("no line ending")),
        "{e:?}"
    );
}

#[test]
fn character_outside_the_set() {
    let mut b = golden();
    put(&mut b, 3, 40, &[0x80]);
    let e = errors(&b);
    assert!(
        e.iter().any(|x| x.class == ErrorClass::Character
            && x.line == Some(3)
            && x.message.contains("column 40")),
        "{e:?}"
    );
}

#[test]
fn order_no_head_first_and_missing_tail() {
    let b = golden();
    let mut swapped = b[REC..2 * REC].to_vec();
    swapped.extend_from_slice(&b[..REC]);
    swapped.extend_from_slice(&b[2 * REC..]);
    let e = errors(&swapped);
    assert!(has(&e, ErrorClass::Order, Some(1), None), "{e:?}");
    let mut t = b.clone();
    t.truncate(b.len() - REC);
    let e = errors(&t);
    assert!(
        e.iter()
            .any(|x| x.class == ErrorClass::Order && x.message.contains("no tail record")),
        "{e:?}"
    );
    // A truncated file (half a record) names the record length and the missing tail.
    let half = &b[..b.len() - 70];
    let e = errors(half);
    assert!(
        e.iter()
            .any(|x| x.class == ErrorClass::RecordLength && x.message.contains(" 60 ")),
        "{e:?}"
    );
    assert!(e.iter().any(|x| x.class == ErrorClass::LineEnding));
    let half = &b[..b.len() - 200];
    let e = errors(half);
    assert!(
        e.iter()
            .any(|x| x.class == ErrorClass::Order && x.message.contains("no tail record")),
        "{e:?}"
    );
    // A debtor record whose handlingsref is another case's.
    let mut m = b.clone();
    put(&mut m, 3, 3, b"INK-2024-9999");
    let e = errors(&m);
    assert!(has(&e, ErrorClass::Order, Some(3), None), "{e:?}");
}

#[test]
fn controls_record_count_total_case_count_and_case_counts() {
    let b = golden();
    let last = b.len() / REC;
    let mut x = b.clone();
    put(&mut x, last, 3, b"0000099");
    assert!(has(
        &errors(&x),
        ErrorClass::RecordCount,
        Some(last as u64),
        Some("antal_poster")
    ));
    let mut x = b.clone();
    put(&mut x, last, 10, b"000009");
    assert!(has(
        &errors(&x),
        ErrorClass::CaseCount,
        Some(last as u64),
        Some("antal_handlingar")
    ));
    let mut x = b.clone();
    put(&mut x, last, 16, b"000000000000001");
    assert!(has(
        &errors(&x),
        ErrorClass::Total,
        Some(last as u64),
        Some("tot_bel")
    ));
    let mut x = b.clone();
    put(&mut x, 2, 103, b"05");
    let e = errors(&x);
    assert!(
        e.iter().any(|y| y.class == ErrorClass::CaseCounts
            && y.reference.as_deref() == Some("INK-2024-0001")),
        "{e:?}"
    );
}

#[test]
fn field_classes() {
    let b = golden();
    let cases: [(usize, usize, &[u8], ErrorClass, &str); 6] = [
        (
            2,
            35,
            &[b' '; 40],
            ErrorClass::MandatoryEmpty,
            "sokande_namn",
        ),
        (3, 26, b"198001011232", ErrorClass::InvalidId, "id"),
        (7, 40, b"20241340", ErrorClass::InvalidDate, "forfallodag"),
        (7, 27, b"00000001250X0", ErrorClass::InvalidAmount, "belopp"),
        (7, 25, b"99", ErrorClass::InvalidCode, "delkravstyp"),
        (1, 14, b"00A007", ErrorClass::InvalidNumber, "lopnummer"),
    ];
    for (line, col, text, class, field) in cases {
        let mut x = b.clone();
        put(&mut x, line, col, text);
        let e = errors(&x);
        assert!(
            has(&e, class, Some(line as u64), Some(field)),
            "{class:?}: {e:?}"
        );
        if line > 1 {
            assert!(e
                .iter()
                .any(|y| y.class == class && y.reference.as_deref() == Some("INK-2024-0001")));
        }
    }
    let mut x = b.clone();
    put(&mut x, 1, 6, b"NEDS    ");
    assert!(has(
        &errors(&x),
        ErrorClass::ConstantMismatch,
        Some(1),
        Some("filtyp")
    ));
}

#[test]
fn missiv_disagreement_and_felkod() {
    let set = LayoutSet::embedded();
    let b = golden();
    let m = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/bfo-ansokan/DEV.ANSOKAN.MISSIV"
    ))
    .unwrap();
    assert!(formats::check_missiv(&set, &b, &m).is_empty());
    let mut bad = m.clone();
    bad[43..49].copy_from_slice(b"000008");
    let p = formats::check_missiv(&set, &b, &bad);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].class, ErrorClass::Missiv);
    assert_eq!(p[0].field.as_deref(), Some("lopnummer"));
    assert_eq!(set.felkoder().for_class(p[0].class).unwrap().code, "0021");
    assert_eq!(
        formats::check_missiv(&set, &b, b"")[0].class,
        ErrorClass::MissivMissing
    );
    let k = formats::Kvittens::error_for(&set, &p[0]).unwrap();
    assert_eq!((k.felkod.as_str(), k.niva), ("0021", formats::Niva::F));
}

fn facts() -> FileFacts {
    FileFacts {
        intressentkod: "DEV".into(),
        lopnummer: 1,
        created: NaiveDate::from_ymd_opt(2024, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
        status: FileStatus::Test,
        contact_name: "X".into(),
        contact_phone: "1".into(),
    }
}

fn golden_cases() -> Vec<Case> {
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/cases/bfo-ansokan.json"
    ))
    .unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn build_errors_name_case_record_field_and_value() {
    let set = LayoutSet::embedded();
    let k = CaseKind::Betalningsforelaggande;
    let mut c = golden_cases();
    c[0].debtors[0].name = "N".repeat(61);
    match formats::build_file(&set, k, &c, &facts()).unwrap_err() {
        BuildError::Field {
            case,
            record,
            field,
            value,
            problem,
        } => {
            assert_eq!(
                (case.as_deref(), record.as_str(), field.as_str()),
                (Some("INK-2024-0001"), "20", "namn")
            );
            assert_eq!(value.len(), 61);
            assert!(problem.contains("61 characters"), "{problem}");
        }
        e => panic!("{e:?}"),
    }
    let mut c = golden_cases();
    c[1].debtors[0].city = Some("Ümeå 東京".into());
    let e = formats::build_file(&set, k, &c, &facts())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("case INK-2024-0002") && e.contains("postort") && e.contains("position 6"),
        "{e}"
    );
    let mut c = golden_cases();
    c[1].debtors[0].city = Some("Łódź ‘x’".into());
    let built = formats::build_file(&set, k, &c, &facts()).unwrap();
    assert!(
        built.bytes.windows(8).any(|w| w == b"L\xf3dz 'x'"),
        "transliterated"
    );
    let mut c = golden_cases();
    c[0].claims[0].amount = Amount(-5);
    assert!(formats::build_file(&set, k, &c, &facts())
        .unwrap_err()
        .to_string()
        .contains("negative"));
    let mut c = golden_cases();
    c[0].claims[0].basis = Some("ord ".repeat(200));
    assert!(
        matches!(formats::build_file(&set, k, &c, &facts()), Err(BuildError::TooManyLines { lines, max: 10, .. }) if lines > 10)
    );
    let c = golden_cases();
    assert!(matches!(
        formats::build_file(&set, CaseKind::Nedsattning, &c, &facts()),
        Err(BuildError::WrongKind { .. })
    ));
    let mut c: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/golden/cases/sks-fordringsanmalan.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let d = c[0].debtors[0].clone();
    c[0].debtors.push(d);
    assert!(matches!(
        formats::build_file(&set, CaseKind::Fordringsanmalan, &c, &facts()),
        Err(BuildError::NotCarried { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let set = LayoutSet::embedded();
        for l in set.iter() {
            let _ = formats::parse_file(l, &bytes);
        }
        let _ = formats::read_cases(&set, &bytes);
        let _ = formats::Kvittens::parse(&set, &bytes);
        let _ = formats::check_missiv(&set, &bytes, &bytes);
    }

    #[test]
    fn parser_never_panics_on_mutated_golden(pos in 0usize..2600, byte in any::<u8>(), cut in 0usize..2600) {
        let mut b = golden();
        let p = pos % b.len();
        b[p] = byte;
        b.truncate(cut.max(1).min(b.len()));
        let set = LayoutSet::embedded();
        let e = formats::parse_file(set.get("bfo-ansokan").unwrap(), &b);
        let _ = formats::read_cases(&set, &b);
        prop_assert!(e.errors.iter().all(|x| !x.message.is_empty()));
    }

    #[test]
    fn layout_loader_never_panics(text in ".{0,400}", cut in 0usize..6000, byte in any::<u8>()) {
        let _ = Layout::from_toml(&text, "random.toml");
        let src = fogd::formats::layout::EMBEDDED[0].1.as_bytes();
        let mut b = src[..cut.min(src.len())].to_vec();
        b.push(byte);
        let _ = Layout::from_toml(&String::from_utf8_lossy(&b), "mutated.toml");
    }
}
