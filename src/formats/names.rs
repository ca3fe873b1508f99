//! The domain names of enum values as layouts' code tables use them (`codes = { kapital = "01", … }`).
//!
//! These are the serde (snake_case) names of the domain enums, spelled out so the builder does not go through
//! serde per field. One place: a layout's code table maps these names to the codes it writes.

use crate::domain::case::{ChangeKind, FollowUpReason, InterestKind, SecurityKind, TitleKind};
use crate::domain::IdKind;

/// `reference_plus` / `fixed`.
pub fn interest_kind(k: InterestKind) -> &'static str {
    match k {
        InterestKind::ReferencePlus => "reference_plus",
        InterestKind::Fixed => "fixed",
    }
}

/// Inverse of [`interest_kind`].
pub fn parse_interest_kind(s: &str) -> Option<InterestKind> {
    [InterestKind::ReferencePlus, InterestKind::Fixed]
        .into_iter()
        .find(|k| interest_kind(*k) == s)
}

/// `utslag` / `dom` / `forlikning` / `skiljedom` / `annan`.
pub fn title_kind(k: TitleKind) -> &'static str {
    match k {
        TitleKind::Utslag => "utslag",
        TitleKind::Dom => "dom",
        TitleKind::Forlikning => "forlikning",
        TitleKind::Skiljedom => "skiljedom",
        TitleKind::Annan => "annan",
    }
}

/// Inverse of [`title_kind`].
pub fn parse_title_kind(s: &str) -> Option<TitleKind> {
    [
        TitleKind::Utslag,
        TitleKind::Dom,
        TitleKind::Forlikning,
        TitleKind::Skiljedom,
        TitleKind::Annan,
    ]
    .into_iter()
    .find(|k| title_kind(*k) == s)
}

/// `betalning` / `kreditering` / `betald` / `avbetalningsplan` / `annan`.
pub fn reason(k: FollowUpReason) -> &'static str {
    match k {
        FollowUpReason::Betalning => "betalning",
        FollowUpReason::Kreditering => "kreditering",
        FollowUpReason::Betald => "betald",
        FollowUpReason::Avbetalningsplan => "avbetalningsplan",
        FollowUpReason::Annan => "annan",
    }
}

/// Inverse of [`reason`].
pub fn parse_reason(s: &str) -> Option<FollowUpReason> {
    [
        FollowUpReason::Betalning,
        FollowUpReason::Kreditering,
        FollowUpReason::Betald,
        FollowUpReason::Avbetalningsplan,
        FollowUpReason::Annan,
    ]
    .into_iter()
    .find(|k| reason(*k) == s)
}

/// `belopp` / `aterkallelse` / `uppskov`.
pub fn change_kind(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Belopp => "belopp",
        ChangeKind::Aterkallelse => "aterkallelse",
        ChangeKind::Uppskov => "uppskov",
    }
}

/// Inverse of [`change_kind`].
pub fn parse_change_kind(s: &str) -> Option<ChangeKind> {
    [
        ChangeKind::Belopp,
        ChangeKind::Aterkallelse,
        ChangeKind::Uppskov,
    ]
    .into_iter()
    .find(|k| change_kind(*k) == s)
}

/// `personnummer` / `samordningsnummer` / `organisationsnummer` (and `none` for no id, written by the caller).
pub fn id_kind(k: IdKind) -> &'static str {
    match k {
        IdKind::Personnummer => "personnummer",
        IdKind::Samordningsnummer => "samordningsnummer",
        IdKind::Organisationsnummer => "organisationsnummer",
    }
}

/// The name for "no id".
pub const NO_ID: &str = "none";

/// The code-table name of a kind of security (`none`, `borgen`, `pant`).
pub fn security_kind(k: SecurityKind) -> &'static str {
    match k {
        SecurityKind::None => "none",
        SecurityKind::Borgen => "borgen",
        SecurityKind::Pant => "pant",
    }
}

/// Parses a kind of security's code-table name.
pub fn parse_security_kind(s: &str) -> Option<SecurityKind> {
    [SecurityKind::None, SecurityKind::Borgen, SecurityKind::Pant]
        .into_iter()
        .find(|k| security_kind(*k) == s)
}
/// Boolean names.
pub const YES: &str = "yes";
/// Boolean names.
pub const NO: &str = "no";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for k in [InterestKind::ReferencePlus, InterestKind::Fixed] {
            assert_eq!(serde_json::to_value(k).unwrap(), interest_kind(k));
            assert_eq!(parse_interest_kind(interest_kind(k)), Some(k));
        }
        for k in [
            TitleKind::Utslag,
            TitleKind::Dom,
            TitleKind::Forlikning,
            TitleKind::Skiljedom,
            TitleKind::Annan,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), title_kind(k));
            assert_eq!(parse_title_kind(title_kind(k)), Some(k));
        }
        for k in [
            FollowUpReason::Betalning,
            FollowUpReason::Kreditering,
            FollowUpReason::Betald,
            FollowUpReason::Avbetalningsplan,
            FollowUpReason::Annan,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), reason(k));
            assert_eq!(parse_reason(reason(k)), Some(k));
        }
        for k in [
            ChangeKind::Belopp,
            ChangeKind::Aterkallelse,
            ChangeKind::Uppskov,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), change_kind(k));
            assert_eq!(parse_change_kind(change_kind(k)), Some(k));
        }
        for k in [
            IdKind::Personnummer,
            IdKind::Samordningsnummer,
            IdKind::Organisationsnummer,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), id_kind(k));
        }
    }
}
