//! The interest fogd needs at intake (fogd-ref-2.md §4): a half-year the referensränta table lacks holds the case
//! (`interest.rate_unknown`) and raises an alert naming the half-year; a stated `upplupen_ranta` above the computed
//! interest + 1 % + 1 kr is held for review. On SQLite and — when `FOGD_TEST_POSTGRES_URL` is set — PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::alerts::{AlertKind, Alerter};
use fogd::clock::Clock;
use fogd::domain::CaseState;
use fogd::engine::import::{import, ImportOptions, ImportOutcome};
use fogd::engine::Engine;
use fogd::store::Store;
use kit::*;

async fn import_json(e: &Engine, cases: serde_json::Value) -> ImportOutcome {
    let text = cases.to_string();
    let src = fogd::domain::intake::open_source(text.as_bytes(), None).unwrap();
    let recs: Vec<_> = src.records().unwrap().collect();
    let ctx = fogd::cli::import::validation_context(&e.config, e.clock.as_ref()).unwrap();
    import(
        Some(&e.store),
        recs.into_iter(),
        &ctx,
        &ImportOptions::file("interest.json"),
        e.clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap()
}

/// A BFÖ of 10 000 kr at referensränta + 8 from 2026-05-16 (the engine's clock says 2026-06-01), with `accrued`
/// as upplupen ränta when given.
fn bfo_with_interest(reference: &str, accrued: Option<&str>) -> serde_json::Value {
    let mut v = bfo(reference);
    v["claims"][0]["amount"] = serde_json::json!("10000");
    v["claims"][0]["interest"] =
        serde_json::json!({ "kind": "reference_plus", "rate": "8", "from": "2026-05-16" });
    if let Some(a) = accrued {
        v["claims"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({ "kind": "upplupen_ranta", "amount": a, "basis": "Ränta" }));
    }
    v
}

async fn state_of(e: &Engine, reference: &str) -> CaseState {
    e.store.cases_by_reference(reference, None).await.unwrap()[0].state
}

async fn rate_unknown_holds_and_alerts(store: Store) {
    // A table that ends with 2025-07-01: the first half of 2026 is missing.
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("referensranta.toml");
    std::fs::write(
        &table,
        "rates = [{ from = 2025-01-01, percent = \"3.00\" }, { from = 2025-07-01, percent = \"2.00\" }]\n",
    )
    .unwrap();
    let mut cfg = config();
    cfg.interest.referensranta = Some(table.clone());
    let (e, _fake, clock) = engine(store, cfg);
    let out = import_json(
        &e,
        serde_json::json!([
            bfo_with_interest("I-1", Some("20")),
            bfo_with_interest("I-2", None)
        ]),
    )
    .await;
    assert_eq!(
        (out.summary.held, out.summary.accepted),
        (1, 1),
        "{:?}",
        out.problems
    );
    let p = out
        .problems
        .iter()
        .find(|p| p.reference.as_deref() == Some("I-1"))
        .unwrap();
    assert_eq!(p.rule, "interest.rate_unknown");
    assert_eq!(p.value.as_deref(), Some("2026-01-01"));
    assert!(p.message.contains("2026-01-01–2026-06-30"), "{}", p.message);
    assert_eq!(state_of(&e, "I-1").await, CaseState::Held);
    assert_eq!(
        state_of(&e, "I-2").await,
        CaseState::Journal,
        "no interest needed at intake"
    );

    // The alert names the half-year and the case; it recovers when no case is held for it any more.
    let alerter = Alerter::new(&e.config.alerts);
    alerter
        .check_files(&e.store, 60, clock.now())
        .await
        .unwrap();
    let active = alerter.active();
    let a = active
        .iter()
        .find(|a| a.kind == AlertKind::InterestRateUnknown)
        .unwrap_or_else(|| panic!("{active:?}"));
    assert_eq!(a.key, "interest_rate_unknown:2026-01-01");
    assert!(
        a.message.contains("2026-01-01") && a.message.contains("I-1"),
        "{}",
        a.message
    );
    import_json(&e, serde_json::json!([bfo_with_interest("I-1", None)])).await;
    assert_eq!(state_of(&e, "I-1").await, CaseState::Journal);
    alerter
        .check_files(&e.store, 60, clock.now())
        .await
        .unwrap();
    assert!(alerter
        .active()
        .iter()
        .all(|a| a.kind != AlertKind::InterestRateUnknown));
}
both_backends!(rate_unknown, rate_unknown_holds_and_alerts);

async fn implausible_accrued_interest_is_held(store: Store) {
    let (e, _fake, _clock) = engine(store, config());
    // 10 000 kr at 2.00 + 8 % for the 16 days 2026-05-16..2026-06-01: 43.84 kr; + 1 % + 1 kr → at most 45.27 kr.
    let out = import_json(
        &e,
        serde_json::json!([
            bfo_with_interest("P-1", Some("45.27")),
            bfo_with_interest("P-2", Some("45.28"))
        ]),
    )
    .await;
    assert_eq!(
        (out.summary.accepted, out.summary.held),
        (1, 1),
        "{:?}",
        out.problems
    );
    let p = out
        .problems
        .iter()
        .find(|p| p.reference.as_deref() == Some("P-2"))
        .unwrap();
    assert_eq!(p.rule, "interest.implausible");
    assert!(p.message.contains("43.84 kr computed"), "{}", p.message);
    assert_eq!(state_of(&e, "P-2").await, CaseState::Held);
    let row = &e.store.cases_by_reference("P-2", None).await.unwrap()[0];
    assert!(row
        .hold_reason
        .as_deref()
        .unwrap()
        .starts_with("interest.implausible: "));
}
both_backends!(plausibility, implausible_accrued_interest_is_held);
