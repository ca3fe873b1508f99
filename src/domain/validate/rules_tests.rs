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
