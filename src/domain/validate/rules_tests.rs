//! Tests of the FOGD-REF-2 rules (fogd-ref-2.md §2.1, §4; intake.md §3): costs per case, limitation and sole
//! traders, interest. Each failed on main before these rules.

use super::tests::{bfo, ctx, one, run, warning_rule, with};
use super::*;
use serde_json::json;

fn rules(v: &Validation) -> Vec<&str> {
    v.issues.iter().map(|i| i.rule.as_str()).collect()
}

fn cost(kind: &str, amount: &str) -> serde_json::Value {
    json!({ "kind": kind, "amount": amount, "basis": "Kostnad" })
}

/// `bfo()` with these claims after its kapital.
fn bfo_costs(costs: &[(&str, &str)]) -> serde_json::Value {
    let mut v = bfo();
    let kapital = v["claims"][0].clone();
    let mut claims = vec![kapital];
    claims.extend(costs.iter().map(|(k, a)| cost(k, a)));
    v["claims"] = json!(claims);
    v
}

fn business(v: serde_json::Value) -> serde_json::Value {
    with(v, "/debtors/0/id", json!("556036-0793"))
}

#[test]
fn caps_are_per_case_not_per_line() {
    // Two inkassokostnad lines of 180 kr each: each within the cap, together 360 kr, and two of them.
    let r = run(bfo_costs(&[
        ("inkassokostnad", "180"),
        ("inkassokostnad", "180"),
    ]));
    assert!(r.case.is_some() && !r.has_errors(), "{:#?}", r.issues);
    let cap = one(&r, "cost.cap", "claims[2].amount");
    assert_eq!(cap.severity, Severity::Warning);
    assert_eq!(cap.value.as_deref(), Some("360.00"));
    assert!(
        cap.message.contains("360.00 kr in total (2 lines)")
            && cap.message.contains("180.00 kr per case"),
        "{}",
        cap.message
    );
    let once = one(&r, "cost.inkassokostnad_once", "claims[2].kind");
    assert_eq!(once.severity, Severity::Warning);
    // Påminnelseavgift: 2 × 30 kr is the cap; a third line crosses it.
    assert!(run(bfo_costs(&[
        ("paminnelseavgift", "30"),
        ("paminnelseavgift", "30")
    ]))
    .issues
    .is_empty());
    let r = run(bfo_costs(&[
        ("paminnelseavgift", "30"),
        ("paminnelseavgift", "30"),
        ("paminnelseavgift", "0.01"),
    ]));
    assert_eq!(rules(&r), ["cost.cap"]);
    one(&r, "cost.cap", "claims[3].amount");
    // One inkassokostnad within the cap and one påminnelseavgift: fine.
    assert!(run(bfo_costs(&[
        ("inkassokostnad", "180"),
        ("paminnelseavgift", "60")
    ]))
    .issues
    .is_empty());
}

#[test]
fn cost_figures_are_configuration() {
    let mut c = ctx();
    c.rules.cap_inkassokostnad = Amount(20_000);
    let input: CaseInput = serde_json::from_value(bfo_costs(&[("inkassokostnad", "190")])).unwrap();
    assert!(validate(&input, &c).issues.is_empty());
    c.rules.cap_inkassokostnad = Amount(18_000);
    let r = validate(&input, &c);
    assert_eq!(rules(&r), ["cost.cap"]);
}

#[test]
fn forseningsersattning_only_for_businesses_and_instead_of_other_costs() {
    // A consumer debtor: warning.
    warning_rule(
        bfo_costs(&[("forseningsersattning", "450")]),
        "cost.forseningsersattning_consumer",
        "claims[1].kind",
    );
    // Every debtor a business: fine alone …
    assert!(run(business(bfo_costs(&[("forseningsersattning", "450")])))
        .issues
        .is_empty());
    // … but not beside inkassokostnad or påminnelseavgift.
    let i = warning_rule(
        business(bfo_costs(&[
            ("forseningsersattning", "450"),
            ("inkassokostnad", "180"),
            ("paminnelseavgift", "60"),
        ])),
        "cost.forseningsersattning_instead",
        "claims[1].kind",
    );
    assert_eq!(i.value.as_deref(), Some("240.00"));
    // One business and one consumer debtor: not every debtor is a business.
    let mut v = business(bfo_costs(&[("forseningsersattning", "450")]));
    let consumer = bfo()["debtors"][0].clone();
    v["debtors"].as_array_mut().unwrap().push(consumer);
    warning_rule(v, "cost.forseningsersattning_consumer", "claims[1].kind");
}

/// `bfo()` with its kapital due (and interest running from) `due`.
fn due(v: serde_json::Value, date: &str) -> serde_json::Value {
    with(
        with(v, "/claims/0/due_date", json!(date)),
        "/claims/0/interest/from",
        json!(date),
    )
}

#[test]
fn a_consumer_claim_on_a_promissory_note_has_ten_years() {
    // Today is 2026-03-01; four years back is past the consumer period of three.
    let old = due(bfo(), "2022-02-01");
    warning_rule(old.clone(), "limitation", "claims[0].due_date");
    let mut note = old.clone();
    note["promissory_note"] = json!(true);
    let r = run(note.clone());
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    // Ten years hold for it too.
    warning_rule(due(note, "2016-02-01"), "limitation", "claims[0].due_date");
}

/// `bfo()` (1 250 kr at referensränta + 8 from 2026-02-10) with `accrued` as upplupen ränta.
fn with_accrued(accrued: &str) -> serde_json::Value {
    let mut v = bfo();
    v["claims"]
        .as_array_mut()
        .unwrap()
        .push(cost("upplupen_ranta", accrued));
    v
}

#[test]
fn stated_interest_is_checked_for_plausibility() {
    // 2026-02-10..2026-03-01: 19 days at 2.00 + 8 % on 1 250 kr = 6.51 kr; + 1 % (0.06) + 1 kr → 7.57 kr.
    let r = run(with_accrued("7.57"));
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    let i = warning_rule(
        with_accrued("7.58"),
        "interest.implausible",
        "claims[2].amount",
    );
    assert_eq!(i.value.as_deref(), Some("7.58"));
    assert!(
        i.message.contains("6.51 kr computed") && i.message.contains("at most 7.57 kr"),
        "{}",
        i.message
    );
    // Interest stated with no claim that bears interest: nothing to compute it from but the 1 kr.
    let mut v = with_accrued("1.01");
    v["claims"][0].as_object_mut().unwrap().remove("interest");
    warning_rule(v, "interest.implausible", "claims[2].amount");
}

#[test]
fn a_missing_half_year_holds_the_case_and_is_never_guessed() {
    // On 2026-11-30 the shipped table lacks 2026-07-01 (fogd-ref-2.md §4).
    let mut c = ctx();
    c.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let input: CaseInput = serde_json::from_value(with_accrued("10")).unwrap();
    let r = validate(&input, &c);
    assert!(r.case.is_some() && !r.has_errors(), "{:#?}", r.issues);
    let i = one(&r, "interest.rate_unknown", "claims[0].interest");
    assert_eq!(i.severity, Severity::Warning);
    assert_eq!(i.value.as_deref(), Some("2026-07-01"));
    assert!(i.message.contains("2026-07-01–2026-12-31"), "{}", i.message);
    assert_eq!(
        rules(&r),
        ["interest.rate_unknown"],
        "no plausibility verdict without the rate"
    );
    // Without a stated interest the case needs none at intake.
    let input: CaseInput = serde_json::from_value(bfo()).unwrap();
    assert!(validate(&input, &c).issues.is_empty());
}

fn with_agent(v: serde_json::Value) -> serde_json::Value {
    let mut v = v;
    v["agent"] = json!({ "id": "556036-0793", "name": "Ombudsbyrån AB", "reference": "O-77" });
    v
}

#[test]
fn fogd_ref_2_cost_kinds() {
    // Amorteringsplan at most 170 kr.
    assert!(run(bfo_costs(&[("amorteringsplan", "170")]))
        .issues
        .is_empty());
    let i = warning_rule(
        bfo_costs(&[("amorteringsplan", "170.01")]),
        "cost.cap",
        "claims[1].amount",
    );
    assert!(i.message.contains("170.00 kr per case"), "{}", i.message);
    // Ansökningsavgift exactly the fee, once.
    assert!(run(bfo_costs(&[("ansokningsavgift", "300")]))
        .issues
        .is_empty());
    let i = warning_rule(
        bfo_costs(&[("ansokningsavgift", "250")]),
        "cost.ansokningsavgift_fee",
        "claims[1].amount",
    );
    assert!(i.message.contains("300.00 kr"), "{}", i.message);
    warning_rule(
        bfo_costs(&[("ansokningsavgift", "300"), ("ansokningsavgift", "300")]),
        "cost.ansokningsavgift_fee",
        "claims[1].amount",
    );
    // Ombudsarvode at most 380 kr and only with an ombud.
    let r = run(with_agent(bfo_costs(&[("ombudsarvode", "380")])));
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    warning_rule(
        with_agent(bfo_costs(&[("ombudsarvode", "380.01")])),
        "cost.cap",
        "claims[1].amount",
    );
    warning_rule(
        bfo_costs(&[("ombudsarvode", "380")]),
        "cost.ombudsarvode_without_agent",
        "claims[1].kind",
    );
    // The figures come from the rules.
    let mut c = ctx();
    c.rules.fee_ansokningsavgift = Amount(50_000);
    let input: CaseInput =
        serde_json::from_value(bfo_costs(&[("ansokningsavgift", "500")])).unwrap();
    assert!(validate(&input, &c).issues.is_empty());
}

#[test]
fn limitation_counts_from_when_the_claim_arose() {
    // Due recently, but arose more than three years back: time-barred for a consumer.
    let mut v = bfo();
    v["claims"][0]["arose"] = json!("2022-12-31");
    let i = warning_rule(v, "limitation", "claims[0].arose");
    assert_eq!(i.value.as_deref(), Some("2022-12-31"));
    // Due long ago, but arose recently (the due date alone used to decide): not time-barred.
    let mut v = due(bfo(), "2022-01-10");
    v["claims"][0]["arose"] = json!("2024-01-10");
    let r = run(v);
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
}

#[test]
fn a_sole_trader_is_a_business() {
    // Tolvan, identified by personnummer, marked business: an enskild näringsidkare.
    let sole = |v: serde_json::Value| with(v, "/debtors/0/business", json!(true));
    // Förseningsersättning is allowed …
    let r = run(sole(bfo_costs(&[("forseningsersattning", "450")])));
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    assert!(r.case.unwrap().debtors[0].is_business());
    // … and the limitation period is ten years, not three.
    let old = due(bfo(), "2022-02-01");
    warning_rule(old.clone(), "limitation", "claims[0].due_date");
    let r = run(sole(old.clone()));
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    // A company marked not a business is a consumer debtor.
    let company = with(business(old), "/debtors/0/business", json!(false));
    warning_rule(company, "limitation", "claims[0].due_date");
}

/// `bfo()` as a fordringsanmälan of 10 000 kr at referensränta + 8 from 2024-05-10, decided 2025-02-15.
fn sks() -> serde_json::Value {
    let mut v = bfo();
    v["kind"] = json!("fordringsanmalan");
    v["debt_restructuring_case"] = json!("SKS-2025-001");
    v["decision_date"] = json!("2025-02-15");
    v["claims"] = json!([
        { "kind": "kapital", "amount": "10000", "due_date": "2024-05-10", "basis": "Lån",
          "interest": { "kind": "reference_plus", "rate": "8", "from": "2024-05-10" } },
        cost("inkassokostnad", "180")
    ]);
    v
}

#[test]
fn a_fordringsanmalan_carries_the_interest_fogd_computed_to_the_decision_date() {
    let r = run(sks());
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    let c = r.case.unwrap();
    // fogd-ref-2.md §4, the first worked example.
    assert_eq!(c.claims[0].accrued_interest, Some(Amount(91_151)));
    assert_eq!(c.claims[1].accrued_interest, None);
    // A stated figure that differs is held for review; the computed one is filed.
    let mut v = sks();
    v["claims"][0]["accrued_interest"] = json!("900");
    let i = warning_rule(
        v.clone(),
        "interest.accrued_differs",
        "claims[0].accrued_interest",
    );
    assert!(i.message.contains("911.51 kr"), "{}", i.message);
    assert_eq!(
        run(v).case.unwrap().claims[0].accrued_interest,
        Some(Amount(91_151))
    );
    let mut v = sks();
    v["claims"][0]["accrued_interest"] = json!("911.51");
    assert!(run(v).issues.is_empty());
    // A decision in a half-year the table lacks holds the case.
    let mut c = ctx();
    c.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut v = sks();
    v["decision_date"] = json!("2026-08-03");
    let input: CaseInput = serde_json::from_value(v).unwrap();
    let r = validate(&input, &c);
    let i = one(&r, "interest.rate_unknown", "claims[0].interest");
    assert_eq!(i.value.as_deref(), Some("2026-07-01"));
    assert!(r.case.is_some() && !r.has_errors());
}

#[test]
fn a_fordringsanmalan_after_its_deadline_is_held() {
    // Published 2026-01-10: the deadline is a month later, 2026-02-10; today is 2026-03-01.
    let mut v = sks();
    v["publication_date"] = json!("2026-01-10");
    v["decision_date"] = json!("2026-01-08");
    let i = warning_rule(
        v.clone(),
        "skuldsanering.deadline_passed",
        "publication_date",
    );
    assert_eq!(i.value.as_deref(), Some("2026-02-10"));
    // A later deadline given explicitly.
    v["deadline"] = json!("2026-03-01");
    let r = run(v.clone());
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    v["deadline"] = json!("2026-02-28");
    warning_rule(v, "skuldsanering.deadline_passed", "deadline");
}
