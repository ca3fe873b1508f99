//! Parse-error classes and the felkod table (kronofogden.md §2.5) that maps them to Kronofogden's codes.
//!
//! The codes are data (`layouts/fogd-ref-1/felkoder.toml`, embedded; replaceable through the layout directory);
//! the classes are the machine-readable names the parser attaches to every problem.

use serde::{Deserialize, Serialize};

/// The machine-readable class of a parse problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A posttyp the layout does not know.
    UnknownRecord,
    /// A constant field holds something else (e.g. a wrong filtyp).
    ConstantMismatch,
    /// A record of the wrong length (truncated, overlong).
    RecordLength,
    /// A missing or wrong line ending (CR without LF, LF without CR, no ending at the end of the file).
    LineEnding,
    /// A byte outside the layout's allowed characters.
    Character,
    /// Records out of order (no head first, no tail last, a debtor outside a case, …).
    Order,
    /// The missiv is missing.
    MissivMissing,
    /// The missiv disagrees with the file.
    Missiv,
    /// antal_poster wrong.
    RecordCount,
    /// TOT-BEL wrong.
    Total,
    /// antal_handlingar wrong.
    CaseCount,
    /// A mandatory field is empty.
    MandatoryEmpty,
    /// A code field holds a code not in its set.
    InvalidCode,
    /// A number field holds something else than digits.
    InvalidNumber,
    /// An identity number field is not a valid personnummer / samordningsnummer / organisationsnummer.
    InvalidId,
    /// A date field is not a date.
    InvalidDate,
    /// A time field is not a time.
    InvalidTime,
    /// An amount field is not an amount.
    InvalidAmount,
    /// A case's count fields disagree with its records.
    CaseCounts,
    /// The bytes could not be read at all (I/O).
    Unreadable,
}

impl ErrorClass {
    /// The snake_case name (as in `felkoder.toml` and JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::UnknownRecord => "unknown_record",
            ErrorClass::ConstantMismatch => "constant_mismatch",
            ErrorClass::RecordLength => "record_length",
            ErrorClass::LineEnding => "line_ending",
            ErrorClass::Character => "character",
            ErrorClass::Order => "order",
            ErrorClass::MissivMissing => "missiv_missing",
            ErrorClass::Missiv => "missiv",
            ErrorClass::RecordCount => "record_count",
            ErrorClass::Total => "total",
            ErrorClass::CaseCount => "case_count",
            ErrorClass::MandatoryEmpty => "mandatory_empty",
            ErrorClass::InvalidCode => "invalid_code",
            ErrorClass::InvalidNumber => "invalid_number",
            ErrorClass::InvalidId => "invalid_id",
            ErrorClass::InvalidDate => "invalid_date",
            ErrorClass::InvalidTime => "invalid_time",
            ErrorClass::InvalidAmount => "invalid_amount",
            ErrorClass::CaseCounts => "case_counts",
            ErrorClass::Unreadable => "unreadable",
        }
    }
}

/// Level of a felkod: the whole file, or one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// File level: the file is rejected.
    F,
    /// Handling level: one case is rejected.
    H,
}

/// One felkod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Felkod {
    /// Four digits.
    pub code: String,
    /// F or H.
    pub level: Level,
    /// Text for the kvittens.
    pub text: String,
    /// The parse-error classes reported with this code (snake_case names).
    #[serde(default)]
    pub classes: Vec<String>,
}

/// The felkod table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Felkoder {
    codes: Vec<Felkod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFelkoder {
    felkod: Vec<Felkod>,
}

/// The embedded FOGD-REF-1 felkod table.
pub const EMBEDDED_FELKODER: &str = include_str!("../../layouts/fogd-ref-1/felkoder.toml");

impl Felkoder {
    /// The embedded FOGD-REF-1 table (checked by a test; a broken file would give an empty table, never a panic).
    pub fn embedded() -> Felkoder {
        Felkoder::from_toml(EMBEDDED_FELKODER).unwrap_or(Felkoder { codes: Vec::new() })
    }

    /// Loads a table; every class name must be known and used at most once.
    pub fn from_toml(text: &str) -> Result<Felkoder, String> {
        let raw: RawFelkoder =
            toml::from_str(text).map_err(|e| format!("not a valid felkod table: {e}"))?;
        let mut seen = std::collections::HashSet::new();
        for f in &raw.felkod {
            if f.code.len() != 4 || !f.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("felkod {:?} is not four digits", f.code));
            }
            for c in &f.classes {
                if !ALL_CLASSES.iter().any(|k| k.as_str() == c) {
                    return Err(format!("felkod {}: unknown class {c:?}", f.code));
                }
                if !seen.insert(c.clone()) {
                    return Err(format!("felkod {}: class {c:?} already has a code", f.code));
                }
            }
        }
        Ok(Felkoder { codes: raw.felkod })
    }

    /// The felkod reported for a parse-error class.
    pub fn for_class(&self, class: ErrorClass) -> Option<&Felkod> {
        self.codes
            .iter()
            .find(|f| f.classes.iter().any(|c| c == class.as_str()))
    }

    /// The felkod with this code.
    pub fn get(&self, code: &str) -> Option<&Felkod> {
        self.codes.iter().find(|f| f.code == code)
    }

    /// Every felkod.
    pub fn all(&self) -> &[Felkod] {
        &self.codes
    }

    /// The parse-error classes a file can show (every class but `unreadable`, which is I/O) that have no code in
    /// this table: a file with such a problem would be answered with a fallback code (`fogd layout check` refuses
    /// such a table).
    pub fn classes_without_code(&self) -> Vec<ErrorClass> {
        ALL_CLASSES
            .iter()
            .copied()
            .filter(|c| *c != ErrorClass::Unreadable && self.for_class(*c).is_none())
            .collect()
    }

    /// The entries of these codes that the table has (unknown codes are left out).
    pub fn lookup<'c>(&self, codes: impl IntoIterator<Item = &'c str>) -> Vec<&Felkod> {
        codes.into_iter().filter_map(|c| self.get(c)).collect()
    }
}

/// What an operator does about a rejection with these felkoder: a file-level code (niva F) means fogd rebuilds
/// and resends the file by itself; case-level codes mean the case is corrected at its source and submitted again.
pub fn advice(found: &[&Felkod]) -> &'static str {
    if found.iter().any(|f| f.level == Level::F) {
        "File-level error: fogd rebuilds and resends the file; check the file with `fogd inspect` if it recurs."
    } else {
        "Correct the case in the source system and submit it again as a new case (a nedsattning or aterkallelse \
         if it concerns a case already registered)."
    }
}

/// Every class (for checks).
pub const ALL_CLASSES: &[ErrorClass] = &[
    ErrorClass::UnknownRecord,
    ErrorClass::ConstantMismatch,
    ErrorClass::RecordLength,
    ErrorClass::LineEnding,
    ErrorClass::Character,
    ErrorClass::Order,
    ErrorClass::MissivMissing,
    ErrorClass::Missiv,
    ErrorClass::RecordCount,
    ErrorClass::Total,
    ErrorClass::CaseCount,
    ErrorClass::MandatoryEmpty,
    ErrorClass::InvalidCode,
    ErrorClass::InvalidNumber,
    ErrorClass::InvalidId,
    ErrorClass::InvalidDate,
    ErrorClass::InvalidTime,
    ErrorClass::InvalidAmount,
    ErrorClass::CaseCounts,
    ErrorClass::Unreadable,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_maps_the_reference_codes() {
        let f = Felkoder::from_toml(EMBEDDED_FELKODER).unwrap();
        let code = |c| f.for_class(c).map(|x| x.code.as_str());
        assert_eq!(code(ErrorClass::UnknownRecord), Some("0001"));
        assert_eq!(code(ErrorClass::RecordLength), Some("0002"));
        assert_eq!(code(ErrorClass::Character), Some("0003"));
        assert_eq!(code(ErrorClass::Order), Some("0004"));
        assert_eq!(code(ErrorClass::Missiv), Some("0021"));
        assert_eq!(code(ErrorClass::RecordCount), Some("0030"));
        assert_eq!(code(ErrorClass::Total), Some("0031"));
        assert_eq!(code(ErrorClass::CaseCount), Some("0032"));
        assert_eq!(code(ErrorClass::InvalidId), Some("0041"));
        assert_eq!(code(ErrorClass::CaseCounts), Some("0044"));
        assert_eq!(f.get("0044").map(|x| x.level), Some(Level::H));
        assert_eq!(f.get("0010").map(|x| x.level), Some(Level::F));
        assert!(Felkoder::from_toml("[[felkod]]\ncode=\"1\"\nlevel=\"F\"\ntext=\"x\"\n").is_err());
    }

    #[test]
    fn classes_without_code_are_named() {
        assert!(Felkoder::embedded().classes_without_code().is_empty());
        let t = Felkoder::from_toml(
            "[[felkod]]\ncode=\"0001\"\nlevel=\"F\"\ntext=\"x\"\nclasses=[\"order\"]\n",
        )
        .unwrap();
        let missing = t.classes_without_code();
        assert!(!missing.contains(&ErrorClass::Order) && missing.contains(&ErrorClass::Total));
        assert!(!missing.contains(&ErrorClass::Unreadable));
        assert_eq!(missing.len(), ALL_CLASSES.len() - 2);
    }
}
