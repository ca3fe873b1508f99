//! Follow-ups are checked against what fogd knows of the case they concern before they are sent (fogd-ref-2.md
//! §2.4): on SQLite and — when `FOGD_TEST_POSTGRES_URL` is set — on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::domain::CaseState;
use fogd::engine::import::{import, ImportOptions, ImportOutcome};
use fogd::engine::Engine;
use fogd::formats::{Beslutstyp, KvittensStatus};
use fogd::store::Store;
use kit::*;

/// Imports `cases` (a JSON array) without approving anything.
async fn import_json(e: &Engine, cases: serde_json::Value) -> ImportOutcome {
    let text = cases.to_string();
    let src = fogd::domain::intake::open_source(text.as_bytes(), None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&e.config, e.clock.as_ref()).unwrap();
    import(
        Some(&e.store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("follow-ups.json"),
        e.clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap()
}

fn neds_of(reference: &str, concerns: &str, claim_index: u32, amount: &str) -> serde_json::Value {
    let mut n = neds(reference, concerns);
    n["claim_index"] = serde_json::json!(claim_index);
    n["amount"] = serde_json::json!(amount);
    n
}

async fn state_of(e: &Engine, reference: &str, kind: &str) -> CaseState {
    e.store
        .cases_by_reference(reference, None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == kind)
        .unwrap()
        .state
}

/// The rules of the problems of `out` for `reference`.
fn rules_of(out: &ImportOutcome, reference: &str) -> Vec<String> {
    out.problems
        .iter()
        .filter(|p| p.reference.as_deref() == Some(reference))
        .map(|p| p.rule.clone())
        .collect()
}

async fn follow_ups_checked_against_the_case(store: Store) {
    let (e, fake, _clock) = engine(store, config());
    // One case with one claim (delkrav 1) of 1 000 kr.
    import_and_approve(&e, &serde_json::json!([bfo("F-1")]).to_string()).await;

    // The issue's example: 999 999 kr on delkrav 7 of a one-claim case.
    let out = import_json(&e, serde_json::json!([neds_of("N-1", "F-1", 7, "999999")])).await;
    assert_eq!(out.summary.invalid, 1, "{:?}", out.problems);
    assert_eq!(rules_of(&out, "N-1"), ["follow_up.no_such_claim"]);
    let p = &out.problems[0];
    assert_eq!(
        (p.field.as_str(), p.value.as_deref()),
        ("claim_index", Some("7"))
    );
    assert_eq!(state_of(&e, "N-1", "nedsattning").await, CaseState::Invalid);
    let stored = e.store.cases_by_reference("N-1", None).await.unwrap()[0]
        .issues()
        .unwrap();
    assert!(stored.iter().any(|i| i.rule == "follow_up.no_such_claim"));

    // The concerned case in the same batch as its follow-ups: checked against the batch's content.
    let out = import_json(
        &e,
        serde_json::json!([
            bfo("F-2"),
            neds_of("N-8", "F-2", 2, "1"),
            neds_of("N-9", "F-2", 1, "1000.01")
        ]),
    )
    .await;
    assert_eq!(
        (out.summary.accepted, out.summary.invalid),
        (1, 2),
        "{:?}",
        out.problems
    );
    assert_eq!(rules_of(&out, "N-8"), ["follow_up.no_such_claim"]);
    assert_eq!(
        rules_of(&out, "N-9"),
        ["follow_up.amount_exceeds_remaining"]
    );

    // 600 kr of delkrav 1 is kept; then 500 kr is more than the 400 kr that remain.
    let out = import_json(&e, serde_json::json!([neds_of("N-2", "F-1", 1, "600")])).await;
    assert_eq!(
        (out.summary.accepted, out.summary.invalid),
        (1, 0),
        "{:?}",
        out.problems
    );
    let out = import_json(&e, serde_json::json!([neds_of("N-3", "F-1", 1, "500")])).await;
    assert_eq!(
        rules_of(&out, "N-3"),
        ["follow_up.amount_exceeds_remaining"]
    );
    assert!(
        out.problems[0].message.contains("400.00 kr remain"),
        "{}",
        out.problems[0].message
    );
    // Earlier in the same batch counts too: 300 fits, the next 200 does not (100 left).
    let out = import_json(
        &e,
        serde_json::json!([
            neds_of("N-4", "F-1", 1, "300"),
            neds_of("N-5", "F-1", 0, "200")
        ]),
    )
    .await;
    assert_eq!(
        (out.summary.accepted, out.summary.invalid),
        (1, 1),
        "{:?}",
        out.problems
    );
    assert_eq!(
        rules_of(&out, "N-5"),
        ["follow_up.amount_exceeds_remaining"]
    );
    // Re-importing a kept nedsättning with the same content does not count it against itself.
    let out = import_json(&e, serde_json::json!([neds_of("N-2", "F-1", 1, "600")])).await;
    assert_eq!(
        (out.summary.unchanged, out.summary.invalid),
        (1, 0),
        "{:?}",
        out.problems
    );

    // The case is registered, then decided: no follow-up of it any more.
    e.build_pass().await.unwrap();
    e.send_pass().await.unwrap();
    fake.reply(
        KVITTENS_PRODUCT,
        "SUPRO.DEV.KVITTENS",
        "kvittens",
        kvittens("ANSOKAN", 1, KvittensStatus::Godkand, vec![]),
        None,
    );
    e.poll_pass().await.unwrap();
    fake.reply(
        "2c92e378-4f27-5ea9-951b-6efc4980d971",
        "SUPRO.DEV.ANSBEKR",
        "bekraftelse",
        ansbekr(1, &[("F-1", "BF-000001-26")]),
        None,
    );
    e.poll_pass().await.unwrap();
    assert_eq!(
        state_of(&e, "F-1", "betalningsforelaggande").await,
        CaseState::Registered
    );
    let out = import_json(&e, serde_json::json!([neds_of("N-6", "F-1", 0, "1")])).await;
    assert_eq!(
        (out.summary.accepted, out.summary.invalid),
        (1, 0),
        "{:?}",
        out.problems
    );
    fake.reply(
        "9bc8220d-44bd-56b2-b6e8-4ad337371b24",
        "SUPRO.DEV.RAPPORT",
        "utslag",
        rapport(&[("F-1", "BF-000001-26", Beslutstyp::Utslag)]),
        None,
    );
    e.poll_pass().await.unwrap();
    assert_eq!(
        state_of(&e, "F-1", "betalningsforelaggande").await,
        CaseState::Decided
    );
    let out = import_json(
        &e,
        serde_json::json!([
            neds_of("N-7", "F-1", 0, "1"),
            { "reference": "W-1", "kind": "aterkallelse", "concerns": "F-1", "date": "2026-06-01",
              "reason": "betald" }
        ]),
    )
    .await;
    assert_eq!(out.summary.invalid, 2, "{:?}", out.problems);
    assert_eq!(rules_of(&out, "N-7"), ["follow_up.case_closed"]);
    assert_eq!(rules_of(&out, "W-1"), ["follow_up.case_closed"]);
    assert_eq!(
        state_of(&e, "W-1", "aterkallelse").await,
        CaseState::Invalid
    );

    // N-2, N-4 and N-6 were taken in before the utslag; approved now, they are checked again when a file is built
    // and not sent (F-2, approved with them, is filed).
    fogd::engine::journal::approve(
        &e.store,
        &fogd::engine::journal::Selection::All,
        "test",
        e.clock.as_ref(),
    )
    .await
    .unwrap();
    let b = e.build_pass().await.unwrap();
    assert_eq!(b.refused, 3, "{b:?}");
    assert!(b.files.iter().all(|f| !f.name.contains("NEDS")), "{b:?}");
    for r in ["N-2", "N-4", "N-6"] {
        assert_eq!(
            state_of(&e, r, "nedsattning").await,
            CaseState::Invalid,
            "{r}"
        );
        let row = &e.store.cases_by_reference(r, None).await.unwrap()[0];
        assert!(
            row.issues()
                .unwrap()
                .iter()
                .any(|i| i.rule == "follow_up.case_closed"),
            "{r}"
        );
    }
}
both_backends!(follow_ups, follow_ups_checked_against_the_case);
