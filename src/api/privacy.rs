//! Personal numbers by role in the case answers of the API (`GET /api/v1/cases/{reference}`, `GET /api/v1/cases`,
//! the cases in the answer to `POST /api/v1/cases`).
//!
//! Decision: roles with [`crate::store::Permission::PersonalNumbers`] — **operator and admin** — see debtors'
//! identity numbers in full; **viewer and submitter** see them masked as the ops page and the logs show them
//! (`19121212-****`, [`crate::mask::mask_id`]): a viewer watches the flow and needs no number, and a submitter is
//! a machine that sent the numbers in the first place and reads back states. Masked are the `id` of every entry
//! of a `debtors` array (as text, or the `digits` of `{"kind", "digits"}`), wherever the case JSON puts it, and
//! the `value` of an intake issue about a debtor's id. Names and addresses are shown to every role that may read
//! a case.

use serde_json::Value;

/// Masks the debtors' identity numbers everywhere in `v` (a case, validated or as submitted).
pub fn mask_case(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "debtors" {
                    if let Value::Array(debtors) = child {
                        for d in debtors.iter_mut() {
                            mask_debtor(d);
                        }
                    }
                }
                mask_case(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_case),
        _ => {}
    }
}

fn mask_debtor(d: &mut Value) {
    let Some(id) = d.get_mut("id") else {
        return;
    };
    match id {
        Value::String(s) => *s = crate::mask::mask_id(s),
        Value::Object(o) => {
            if let Some(Value::String(digits)) = o.get_mut("digits") {
                *digits = crate::mask::mask_id(digits);
            }
        }
        _ => {}
    }
}

/// Whether an intake issue's field or path names a debtor's identity number (`debtors[0].id`, `debtor_id`,
/// `debtor2_id`).
fn is_debtor_id(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    f.contains("debtor") && (f.ends_with(".id") || f.ends_with("_id") || f.ends_with("id\""))
}

/// Masks the `value` of issues about a debtor's identity number in a list of issues.
pub fn mask_issues(v: &mut Value) {
    let Value::Array(issues) = v else {
        return;
    };
    for issue in issues {
        let about_id = ["field", "path"].iter().any(|k| {
            issue
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(is_debtor_id)
        });
        if about_id {
            if let Some(Value::String(s)) = issue.get_mut("value") {
                *s = crate::mask::mask_id(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_debtor_ids_in_both_shapes_and_issues() {
        let mut v = serde_json::json!({
            "debtors": [
                {"id": {"kind": "personnummer", "digits": "191212121212"}, "name": "Tolvan"},
                {"id": "19121212-1212", "name": "Tolva"},
                {"name": "No id"}
            ],
            "creditor": {"id": "556036-0793"}
        });
        mask_case(&mut v);
        assert_eq!(v["debtors"][0]["id"]["digits"], "19121212-****");
        assert_eq!(v["debtors"][1]["id"], "19121212-****");
        assert_eq!(v["debtors"][0]["name"], "Tolvan");
        assert_eq!(v["creditor"]["id"], "556036-0793");
        let mut issues = serde_json::json!([
            {"field": "debtors[0].id", "value": "19121212-1213", "rule": "personnummer.checksum"},
            {"field": "debtor2_id", "value": "19121212-1213"},
            {"field": "reference", "value": "A-1"}
        ]);
        mask_issues(&mut issues);
        assert_eq!(issues[0]["value"], "19121212-****");
        assert_eq!(issues[1]["value"], "19121212-****");
        assert_eq!(issues[2]["value"], "A-1");
    }
}
