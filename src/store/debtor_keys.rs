//! The operators' search by debtor (migration 0011 `debtor_keys`): per case, each debtor's identity number
//! (`id:` + the 12 stored digits) and name (`name:` + [`normalise_name`]), from the validated case (a case that
//! failed validation has no checked debtors and gets none). Written by the store's insert path in one multi-row
//! statement per chunk, and rewritten by the store when a case's content is replaced. The keys are personal data:
//! never logged.

use super::cases::{CaseRow, NewCase};
use super::{with_pool, with_tx, Store, StoreError, StoreTx};
use crate::domain::IdNumber;
use chrono::NaiveDate;
use serde::Deserialize;

/// Rows per INSERT (two bound values each; SQLite allows 32,766).
const KEY_CHUNK: usize = 5_000;

/// The only fields read from a validated case.
#[derive(Deserialize)]
struct DebtorFields {
    #[serde(default)]
    debtors: Vec<DebtorKeyFields>,
}

#[derive(Deserialize)]
struct DebtorKeyFields {
    #[serde(default)]
    id: Option<IdFields>,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct IdFields {
    digits: String,
}

/// A name as searched: lower case, leading and trailing whitespace dropped, inner runs of whitespace one space.
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The key of a stored identity number (12 digits).
pub fn id_key(digits: &str) -> String {
    format!("id:{digits}")
}

/// The key of a debtor's name.
pub fn name_key(name: &str) -> String {
    format!("name:{}", normalise_name(name))
}

/// The key an operator's search text stands for: an identity number in any common spelling (`19121212-1212`,
/// `191212121212`, `121212-1212`, `1212121212`, `556036-0793`, with spaces) as its stored 12 digits (a 10-digit
/// personnummer placed in its century as of `today`), otherwise a name ([`normalise_name`]). `None` for text
/// that is neither (empty, or digits that are no identity number).
pub fn query_key(text: &str, today: NaiveDate) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '));
    if numeric {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        return match IdNumber::parse_any_at(&digits_with_sign(text, &digits), today) {
            Ok(id) => Some(id_key(&id.digits)),
            Err(_) if digits.len() == 12 => Some(id_key(&digits)),
            Err(_) => None,
        };
    }
    Some(name_key(text))
}

/// The digits with the `+` (100 years or older) kept where the text has it, spaces and other separators dropped.
fn digits_with_sign(text: &str, digits: &str) -> String {
    if text.contains('+') && digits.len() == 10 {
        format!("{}+{}", &digits[..6], &digits[6..])
    } else {
        digits.to_string()
    }
}

impl Store {
    /// Cases with a debtor whose key is `key` exactly ([`query_key`]), newest first, at most `limit`: a range of
    /// `debtor_keys`' primary key.
    pub async fn search_debtor_key(
        &self,
        key: &str,
        limit: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let sql = debtor_search_sql();
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(&sql)
                .bind(key)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }
}

/// The debtor keys of `case` (call before its JSON is moved out), without repeats: those the engine computed from the
/// typed case ([`NewCase::debtor_keys`]), else found in its validated JSON.
pub(crate) fn debtor_keys(case: &NewCase) -> Vec<String> {
    match &case.debtor_keys {
        Some(keys) => keys.clone(),
        None => keys_of_json(case.case_json.as_deref()),
    }
}

/// The rule over typed values: per debtor (identity digits, name), the identity key and the name key, non-empty,
/// each once — what [`keys_of_json`] finds in the JSON of a case holding these debtors, without parsing it.
pub fn keys_of_debtors<'a>(
    debtors: impl Iterator<Item = (Option<&'a str>, &'a str)>,
) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (digits, name) in debtors {
        let id = digits.map(id_key);
        let name = Some(normalise_name(name))
            .filter(|n| !n.is_empty())
            .map(|n| format!("name:{n}"));
        for k in [id, name].into_iter().flatten() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// The debtor keys of a stored validated case's JSON (none without one).
pub(crate) fn keys_of_json(json: Option<&str>) -> Vec<String> {
    let Some(json) = json else {
        return Vec::new();
    };
    let Ok(doc) = serde_json::from_str::<DebtorFields>(json) else {
        return Vec::new();
    };
    keys_of_debtors(
        doc.debtors
            .iter()
            .map(|d| (d.id.as_ref().map(|i| i.digits.as_str()), d.name.as_str())),
    )
}

/// Writes `(case id, key)` rows.
pub(crate) async fn insert_debtor_keys(
    tx: &mut StoreTx<'_>,
    rows: &[(i64, String)],
) -> Result<(), StoreError> {
    with_tx!(tx, |t, DB| {
        for chunk in rows.chunks(KEY_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new("INSERT INTO debtor_keys (key, case_id) ");
            qb.push_values(chunk, |mut b, (id, key)| {
                b.push_bind(key.as_str()).push_bind(*id);
            });
            qb.build().execute(&mut **t).await?;
        }
    });
    Ok(())
}

/// A replaced case's debtor keys: its id, the keys of its old content, those of its new.
pub(crate) type Replaced = (i64, Vec<String>, Vec<String>);

/// The validated JSON a case has before its replacement (`$1` its id).
pub(crate) const OLD_JSON_SQL: &str = "SELECT case_json FROM cases WHERE id = $1";

/// The [`Replaced`] of case `id`, from its old validated JSON and its new content.
pub(crate) fn replaced(id: i64, old_json: Option<String>, new: &NewCase) -> Replaced {
    (id, keys_of_json(old_json.as_deref()), debtor_keys(new))
}

/// Replaces the keys of the cases in `replaced`: the old ones are deleted by the table's own key (key, case_id),
/// so the table needs no index by case.
pub(crate) async fn replace_debtor_keys(
    tx: &mut StoreTx<'_>,
    replaced: &[Replaced],
) -> Result<(), StoreError> {
    if replaced.is_empty() {
        return Ok(());
    }
    with_tx!(tx, |t, DB| {
        for (id, old, _) in replaced {
            for key in old {
                sqlx::query("DELETE FROM debtor_keys WHERE key = $1 AND case_id = $2")
                    .bind(key.as_str())
                    .bind(*id)
                    .execute(&mut **t)
                    .await?;
            }
        }
    });
    let rows: Vec<(i64, String)> = replaced
        .iter()
        .flat_map(|(id, _, new)| new.iter().map(|k| (*id, k.clone())))
        .collect();
    insert_debtor_keys(tx, &rows).await
}

/// The SQL of the search by one debtor key ([`crate::store::Store::search_debtor_key`]): `$1` the key, `$2` the
/// limit. A range of `debtor_keys`' primary key.
pub(crate) fn debtor_search_sql() -> String {
    format!(
        "SELECT {} FROM cases WHERE id IN (SELECT case_id FROM debtor_keys WHERE key = $1 \
         ORDER BY case_id DESC LIMIT $2) ORDER BY id DESC",
        super::cases::CASE_COLUMNS
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CaseState;

    #[test]
    fn typed_debtor_keys_follow_the_same_rule() {
        let json = r#"{"debtors":[{"id":{"kind":"personnummer","digits":"191212121212"},"name":"  Tolvan   TOLVANSSON "},
            {"name":"Åsa Öberg"},{"id":{"kind":"personnummer","digits":"191212121212"},"name":"tolvan tolvansson"}]}"#;
        let typed = keys_of_debtors(
            [
                (Some("191212121212"), "  Tolvan   TOLVANSSON "),
                (None, "Åsa Öberg"),
                (Some("191212121212"), "tolvan tolvansson"),
            ]
            .into_iter(),
        );
        assert_eq!(typed, keys_of_json(Some(json)));
    }

    #[test]
    fn keys_of_the_validated_debtors() {
        let json = r#"{"debtors":[{"id":{"kind":"personnummer","digits":"191212121212"},"name":"  Tolvan   TOLVANSSON "},
            {"name":"Åsa Öberg"},{"id":{"kind":"personnummer","digits":"191212121212"},"name":"tolvan tolvansson"}]}"#;
        let mut case = NewCase {
            reference: "R-1".into(),
            kind: "betalningsforelaggande".into(),
            intressentkod: "IK".into(),
            state: CaseState::Journal,
            input_json: "{}".into(),
            case_json: Some(json.into()),
            content_hash: "h".into(),
            issues_json: "[]".into(),
            hold_reason: None,
            concerns: None,
            malnummer: None,
            source: None,
            source_line: None,
            search_keys: None,
            debtor_keys: None,
        };
        assert_eq!(
            debtor_keys(&case),
            [
                "id:191212121212",
                "name:tolvan tolvansson",
                "name:åsa öberg"
            ]
        );
        case.case_json = None;
        assert!(debtor_keys(&case).is_empty(), "no validated case, no keys");
        case.case_json = Some("[1]".into());
        assert!(debtor_keys(&case).is_empty());
        assert_eq!(name_key("ÅSA\t öberg"), "name:åsa öberg");
    }

    #[test]
    fn search_text_in_any_common_spelling() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for t in [
            "19121212-1212",
            "191212121212",
            " 1912 1212 1212 ",
            "121212+1212",
            "121212 + 1212",
        ] {
            assert_eq!(
                query_key(t, today).as_deref(),
                Some("id:191212121212"),
                "{t}"
            );
        }
        // Without the +, a 10-digit number is placed in the latest century.
        assert_eq!(
            query_key("1212121212", today).as_deref(),
            Some("id:201212121212")
        );
        for t in ["556036-0793", "5560360793", "16556036-0793", "165560360793"] {
            assert_eq!(
                query_key(t, today).as_deref(),
                Some("id:165560360793"),
                "{t}"
            );
        }
        assert_eq!(
            query_key("  Tolvan  TOLVANSSON", today).as_deref(),
            Some("name:tolvan tolvansson")
        );
        assert_eq!(query_key("   ", today), None);
        assert_eq!(query_key("12-34", today), None, "no identity number");
    }
}
