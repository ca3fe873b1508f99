//! A fordringsanmälan built after its filing deadline is held for review (`skuldsanering.deadline_passed`,
//! fogd-ref-2.md §2.3); approved again by an operator with that warning on it, it is filed. On SQLite and — when
//! `FOGD_TEST_POSTGRES_URL` is set — PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/engine_kit.rs"]
#[macro_use]
mod kit;

use fogd::domain::CaseState;
use fogd::engine::journal::{approve, Selection};
use fogd::store::Store;
use kit::*;

async fn built_after_the_deadline_is_held(store: Store) {
    let (e, _fake, clock) = engine(store, config());
    // Published 2026-05-10: the last day to file is 2026-06-10; the engine's clock says 2026-06-01.
    let mut sks = bfo("S-1");
    sks["kind"] = serde_json::json!("fordringsanmalan");
    sks["debt_restructuring_case"] = serde_json::json!("SKS-2026-0042");
    sks["decision_date"] = serde_json::json!("2026-05-08");
    sks["publication_date"] = serde_json::json!("2026-05-10");
    import_and_approve(&e, &serde_json::json!([sks]).to_string()).await;
    clock.advance(chrono::Duration::days(14));
    let b = e.build_pass().await.unwrap();
    assert!(b.files.is_empty(), "{b:?}");
    assert_eq!(b.held, 1);
    let row = e.store.cases_by_reference("S-1", None).await.unwrap()[0].clone();
    assert_eq!(row.state, CaseState::Held);
    let issue = row
        .issues()
        .unwrap()
        .into_iter()
        .find(|i| i.rule == "skuldsanering.deadline_passed")
        .unwrap();
    assert_eq!(issue.value.as_deref(), Some("2026-06-10"));
    assert!(row
        .hold_reason
        .unwrap()
        .starts_with("skuldsanering.deadline_passed: "));
    // The operator has seen it and approves: it is filed.
    approve(
        &e.store,
        &Selection::References(vec!["S-1".into()]),
        "operator",
        e.clock.as_ref(),
    )
    .await
    .unwrap();
    let b = e.build_pass().await.unwrap();
    assert_eq!((b.files.len(), b.held), (1, 0), "{b:?}");
    assert_eq!(
        e.store.cases_by_reference("S-1", None).await.unwrap()[0].state,
        CaseState::Batched
    );
}
both_backends!(deadline, built_after_the_deadline_is_held);
