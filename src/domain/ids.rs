//! Swedish identity numbers: personnummer, samordningsnummer and organisationsnummer, checked through the
//! `personnummer` and `organisationsnummer` crates and stored as 12 digits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of identity number a party has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// A person's personnummer.
    Personnummer,
    /// A samordningsnummer (day + 60).
    Samordningsnummer,
    /// An organisation's organisationsnummer.
    Organisationsnummer,
}

/// A checked identity number, stored as 12 digits: century + personnummer, or `16` + organisationsnummer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdNumber {
    /// The kind of number.
    pub kind: IdKind,
    /// Exactly 12 ASCII digits.
    pub digits: String,
}

/// Why an identity number was refused. `rule` names the broken rule in the `family.rule` form used by intake errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IdError {
    /// The rule broken, e.g. `personnummer.checksum`.
    pub rule: &'static str,
    /// A sentence for the operator.
    pub message: String,
}

fn luhn_ok(ten: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in ten.iter().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

fn expected_check_digit(nine: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, d) in nine.iter().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - (sum % 10)) % 10) as u8
}

fn shape_ok(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
}

impl IdNumber {
    /// Parses a personnummer or samordningsnummer: 10 or 12 digits with optional `-`/`+` (`+` = 100 years or older).
    pub fn parse_person(text: &str) -> Result<IdNumber, IdError> {
        let t = text.trim();
        if !shape_ok(t) {
            return Err(IdError {
                rule: "personnummer.format",
                message: format!("{t:?} is not 10 or 12 digits with an optional - or +"),
            });
        }
        let digits: Vec<u8> = t.bytes().filter(u8::is_ascii_digit).collect();
        if digits.len() != 10 && digits.len() != 12 {
            return Err(IdError {
                rule: "personnummer.format",
                message: format!("{t:?} has {} digits, expected 10 or 12", digits.len()),
            });
        }
        let last10 = &digits[digits.len() - 10..];
        if !luhn_ok(last10) {
            let want = expected_check_digit(&last10[..9]);
            return Err(IdError {
                rule: "personnummer.checksum",
                message: format!("check digit should be {want}"),
            });
        }
        let p = personnummer::Personnummer::parse(t).map_err(|_| IdError {
            rule: "personnummer.date",
            message: format!("{t:?} does not hold a valid birth date"),
        })?;
        if !p.valid() {
            return Err(IdError {
                rule: "personnummer.date",
                message: format!("{t:?} does not hold a valid birth date"),
            });
        }
        let long = p.format().long();
        let digits12: String = long.chars().filter(char::is_ascii_digit).collect();
        if digits12.len() != 12 {
            return Err(IdError {
                rule: "personnummer.format",
                message: format!("{t:?} could not be written as 12 digits"),
            });
        }
        let kind = if p.is_coordination_number() {
            IdKind::Samordningsnummer
        } else {
            IdKind::Personnummer
        };
        Ok(IdNumber {
            kind,
            digits: digits12,
        })
    }

    /// Parses an organisationsnummer: 10 digits with an optional `-` and an optional `16` prefix; third digit ≥ 2.
    pub fn parse_org(text: &str) -> Result<IdNumber, IdError> {
        let t = text.trim();
        if !shape_ok(t) || t.contains('+') {
            return Err(IdError {
                rule: "organisationsnummer.format",
                message: format!(
                    "{t:?} is not 10 digits with an optional - (and optional 16 prefix)"
                ),
            });
        }
        let mut digits: Vec<u8> = t.bytes().filter(u8::is_ascii_digit).collect();
        if digits.len() == 12 && digits.starts_with(b"16") {
            digits.drain(..2);
        }
        if digits.len() != 10 {
            return Err(IdError {
                rule: "organisationsnummer.format",
                message: format!("{t:?} has {} digits, expected 10", digits.len()),
            });
        }
        if digits[2] < b'2' {
            return Err(IdError {
                rule: "organisationsnummer.third_digit",
                message: format!("{t:?}: the third digit must be 2 or more"),
            });
        }
        if !luhn_ok(&digits) {
            let want = expected_check_digit(&digits[..9]);
            return Err(IdError {
                rule: "organisationsnummer.checksum",
                message: format!("check digit should be {want}"),
            });
        }
        let ten = String::from_utf8_lossy(&digits).into_owned();
        let checked =
            organisationsnummer::Organisationsnummer::parse(&ten).map_err(|_| IdError {
                rule: "organisationsnummer.format",
                message: format!("{t:?} is not a valid organisationsnummer"),
            })?;
        if !checked.valid() {
            return Err(IdError {
                rule: "organisationsnummer.format",
                message: format!("{t:?} is not a valid organisationsnummer"),
            });
        }
        Ok(IdNumber {
            kind: IdKind::Organisationsnummer,
            digits: format!("16{ten}"),
        })
    }

    /// Parses either kind: an organisationsnummer when the (10-digit) number's third digit is ≥ 2 or it carries the
    /// `16` prefix, otherwise a personnummer/samordningsnummer.
    pub fn parse_any(text: &str) -> Result<IdNumber, IdError> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
        let looks_org = (digits.len() == 10 && digits[2] >= b'2' && !text.contains('+'))
            || (digits.len() == 12 && digits.starts_with(b"16"));
        if looks_org {
            IdNumber::parse_org(text)
        } else {
            IdNumber::parse_person(text)
        }
    }

    /// Rebuilds an identity number from 12 stored digits (as written in a file), inferring the kind.
    pub fn from_digits12(digits: &str) -> Result<IdNumber, IdError> {
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError {
                rule: "id.format",
                message: format!("{digits:?} is not 12 digits"),
            });
        }
        if digits.starts_with("16") {
            IdNumber::parse_org(digits)
        } else {
            IdNumber::parse_person(digits)
        }
    }

    /// True for organisations (business debtors).
    pub fn is_organisation(&self) -> bool {
        self.kind == IdKind::Organisationsnummer
    }

    /// The number as usually written: `YYYYMMDD-NNNN` for persons, `NNNNNN-NNNN` for organisations.
    pub fn display(&self) -> String {
        match self.kind {
            IdKind::Organisationsnummer => format!("{}-{}", &self.digits[2..8], &self.digits[8..]),
            _ => format!("{}-{}", &self.digits[..8], &self.digits[8..]),
        }
    }

    /// The masked form for logs (`19121212-****`).
    pub fn masked(&self) -> String {
        crate::mask::mask_id(&self.digits)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_and_org() {
        let p = IdNumber::parse_person("19121212-1212").unwrap();
        assert_eq!(p.digits, "191212121212");
        assert_eq!(p.kind, IdKind::Personnummer);
        let e = IdNumber::parse_person("19121212-1213").unwrap_err();
        assert_eq!(e.rule, "personnummer.checksum");
        assert_eq!(e.message, "check digit should be 2");
        let o = IdNumber::parse_org("556677-8899");
        // 556677-8899 is the intake.md example; whether it passes Luhn decides the test data, not this test.
        let _ = o;
        let o = IdNumber::parse_org("202100-5489").unwrap();
        assert_eq!(o.digits, "162021005489");
        assert!(IdNumber::parse_any("202100-5489")
            .unwrap()
            .is_organisation());
        assert_eq!(IdNumber::from_digits12("162021005489").unwrap(), o);
    }
}
