//! Helpers of the case-after-registration tests (`tests/case_life.rs`, `tests/case_requests.rs`): FOGD-REF-2
//! documents written by hand (fixed width and XML), stored cases, delivery through the fake SHS node.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::kit::*;
use chrono::NaiveDate;
use fogd::domain::CaseState;
use fogd::engine::Engine;
use fogd::store::NewCase;

pub const PRODUCT: &str = "0b7c4b3a-5d1e-5f5e-9a43-3f0a0d6b2c11";

/// A fixed-width record of 256 characters: (1-based start, text) pieces on spaces.
pub fn rec(parts: &[(usize, &str)]) -> Vec<u8> {
    let mut line = vec![b' '; 256];
    for (start, text) in parts {
        for (i, c) in text.chars().enumerate() {
            line[start - 1 + i] = u8::try_from(u32::from(c)).unwrap();
        }
    }
    line
}

/// A fixed-width document: head `00`, the entries, tail `99` with the record count; CRLF.
pub fn fixed(filtyp: &str, entries: Vec<Vec<u8>>) -> Vec<u8> {
    let mut lines = vec![rec(&[
        (1, "00"),
        (3, "DEV"),
        (6, filtyp),
        (14, "20261201"),
        (22, "FOGD-REF-2"),
    ])];
    lines.extend(entries);
    let count = format!("{:07}", lines.len() + 1);
    lines.push(rec(&[(1, "99"), (3, &count)]));
    let mut out = Vec::new();
    for l in lines {
        out.extend(l);
        out.extend(b"\r\n");
    }
    out
}

pub fn bestrid(entries: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    fixed(
        "BESTRID",
        entries
            .iter()
            .map(|(r, m, d, s)| rec(&[(1, "10"), (3, r), (23, m), (43, d), (51, s)]))
            .collect(),
    )
}

/// RAPPORT entries: (ref, målnummer, beslutstyp, domstol, vs_malnummer).
pub fn rapport2(entries: &[(&str, &str, &str, &str, &str)]) -> Vec<u8> {
    fixed(
        "RAPPORT",
        entries
            .iter()
            .map(|(r, m, b, court, vs)| {
                let amount = if *b == "U" {
                    "0000001271250"
                } else {
                    "0000000000000"
                };
                rec(&[
                    (1, "01"),
                    (3, r),
                    (23, m),
                    (43, b),
                    (44, "20261214"),
                    (52, amount),
                    (65, "U-1"),
                    (85, court),
                    (145, vs),
                ])
            })
            .collect(),
    )
}

pub fn sksrapp(r: &str, beslut: &str, belopp: &str, plan: &str, promille: &str) -> Vec<u8> {
    fixed(
        "SKSRAPP",
        vec![rec(&[
            (1, "10"),
            (3, r),
            (23, "SKS-2026-00812"),
            (43, beslut),
            (44, "20270114"),
            (52, belopp),
            (65, plan),
            (68, promille),
        ])],
    )
}

pub fn xml(root: &str, entry: &str, bodies: &[String]) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"urn:fogd:ref2\" utgava=\"FOGD-REF-2\">\n\
         <Huvud><Intressentkod>DEV</Intressentkod><Skapad>2027-01-31T19:05:00</Skapad></Huvud>\n"
    );
    for b in bodies {
        s.push_str(&format!("<{entry}>{b}</{entry}>\n"));
    }
    s.push_str(&format!("</{root}>\n"));
    s.into_bytes()
}

pub fn lub(m: &str, r: &str) -> Vec<u8> {
    xml(
        "Loneutmatningsbeslut",
        "Beslut",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Beslutsdatum>2027-01-10</Beslutsdatum>\
             <BeloppPerManad>2500.00</BeloppPerManad><FranOchMed>2027-02-01</FranOchMed>"
        )],
    )
}

pub fn delred(m: &str, r: &str, month: &str, paid: &str, left: &str) -> Vec<u8> {
    xml(
        "Delredovisning",
        "Redovisning",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref>\
             <Period><Fran>{month}-01</Fran><Till>{month}-28</Till></Period><Utredning>LONEUTMATNING</Utredning>\
             <Redovisat>{paid}</Redovisat><AvdragnaAvgifter>0.00</AvdragnaAvgifter><Aterstar>{left}</Aterstar>"
        )],
    )
}

pub fn nyttavgar(m: &str, r: &str) -> Vec<u8> {
    xml(
        "NyGrundavgift",
        "Avgift",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Belopp>300.00</Belopp>\
             <Debiteras>2027-03-15</Debiteras>"
        )],
    )
}

pub fn slut(m: &str, r: &str) -> Vec<u8> {
    xml(
        "Slutredovisning",
        "Mal",
        &[format!(
            "<Malnummer>{m}</Malnummer><Handlingsref>{r}</Handlingsref><Avslutat>2027-05-31</Avslutat>\
             <Orsak>INGA_TILLGANGAR</Orsak><TotaltRedovisat>5000.00</TotaltRedovisat><Aterstar>7200.00</Aterstar>"
        )],
    )
}

pub fn case_json(reference: &str, kind: &str) -> String {
    serde_json::json!({
        "reference": reference, "kind": kind, "intressentkod": "DEV",
        "claims": [{ "kind": "kapital", "amount": "10000.00",
                     "interest": { "kind": "reference_plus", "rate_bp": 800, "from": "2024-05-10" } }]
    })
    .to_string()
}

pub fn new_case(reference: &str, kind: &str, state: CaseState, malnummer: Option<&str>) -> NewCase {
    NewCase {
        reference: reference.into(),
        kind: kind.into(),
        intressentkod: "DEV".into(),
        state,
        input_json: String::new(),
        case_json: Some(case_json(reference, kind)),
        content_hash: reference.into(),
        issues_json: "[]".into(),
        hold_reason: None,
        concerns: None,
        malnummer: malnummer.map(String::from),
        source: None,
        source_line: None,
        search_keys: None,
        debtor_keys: None,
    }
}

pub const BFO: &str = "betalningsforelaggande";
pub const VST: &str = "verkstallighet";
pub const SKS: &str = "fordringsanmalan";

pub async fn case(e: &Engine, reference: &str, kind: &str) -> fogd::store::CaseRow {
    e.store
        .cases_by_reference(reference, None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == kind)
        .unwrap()
}

pub async fn events(e: &Engine) -> usize {
    let mut n = 0;
    for c in e.store.list_cases(&[]).await.unwrap() {
        n += e.store.case_events(c.id).await.unwrap().len();
    }
    n
}

/// Delivers `bytes` as `name`, polls, and returns the stored message's apply error.
pub async fn deliver(e: &Engine, fake: &FakeShs, name: &str, bytes: Vec<u8>) -> Option<String> {
    fake.reply(PRODUCT, name, "data", bytes, None);
    let p = e.poll_pass().await.unwrap();
    assert_eq!(p.apply.failed, 0);
    e.store
        .list_inbound()
        .await
        .unwrap()
        .pop()
        .unwrap()
        .apply_error
}

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
