//! Money as integer öre. Never floating point.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount of money in öre (1 krona = 100 öre). Signed so sums and differences are safe; the layouts refuse
/// negative values where the format says "never negative".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub i64);

/// Why a text could not be read as an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Empty text.
    #[error("empty amount")]
    Empty,
    /// More than two decimals.
    #[error("more than two decimals in {0:?}")]
    TooManyDecimals(String),
    /// Not a decimal number.
    #[error("not a decimal amount: {0:?}")]
    Invalid(String),
    /// Too large for the store.
    #[error("amount too large: {0:?}")]
    Overflow(String),
}

impl Amount {
    /// Zero öre.
    pub const ZERO: Amount = Amount(0);

    /// The amount in öre.
    pub fn ore(self) -> i64 {
        self.0
    }

    /// Parses a decimal amount in kronor: `"1250"`, `"1250.5"`, `"1 250,50"`, `"-3.10"`. At most two decimals.
    /// Spaces (also non-breaking) are allowed as thousands separators; `,` or `.` is the decimal separator.
    pub fn parse_kronor(text: &str) -> Result<Amount, AmountError> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
            .collect();
        if cleaned.is_empty() {
            return Err(AmountError::Empty);
        }
        let (neg, body) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
        };
        let body = body.replace(',', ".");
        let mut parts = body.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        let frac = parts.next();
        if whole.is_empty() && frac.is_none_or(|f| f.is_empty()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        let frac = frac.unwrap_or("");
        if !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::Invalid(text.to_string()));
        }
        if frac.len() > 2 {
            return Err(AmountError::TooManyDecimals(text.to_string()));
        }
        let whole_v: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse::<i64>()
                .map_err(|_| AmountError::Overflow(text.to_string()))?
        };
        let frac_v: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse::<i64>().unwrap_or(0),
        };
        let ore = whole_v
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac_v))
            .ok_or_else(|| AmountError::Overflow(text.to_string()))?;
        Ok(Amount(if neg { -ore } else { ore }))
    }

    /// Checked sum.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
}

impl fmt::Display for Amount {
    /// Kronor with two decimals and a point: `1250.00`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse_kronor(s)
    }
}

impl Serialize for Amount {
    /// Serialised as a decimal string in kronor (`"1250.00"`), as intake.md writes amounts.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Accepts a decimal string in kronor or a JSON number (integers exact; fractions through their shortest text).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "amount must be a string, got {other}"
                )))
            }
        };
        Amount::parse_kronor(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_intake_notations() {
        assert_eq!(Amount::parse_kronor("1250"), Ok(Amount(125_000)));
        assert_eq!(Amount::parse_kronor("1250.5"), Ok(Amount(125_050)));
        assert_eq!(Amount::parse_kronor("1 250,50"), Ok(Amount(125_050)));
        assert_eq!(Amount::parse_kronor("0.05"), Ok(Amount(5)));
        assert_eq!(Amount::parse_kronor(",5"), Ok(Amount(50)));
        assert_eq!(Amount::parse_kronor("-3.10"), Ok(Amount(-310)));
        assert!(matches!(
            Amount::parse_kronor("1.234"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("12a"),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("1.2.3"),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(Amount::parse_kronor(""), Err(AmountError::Empty)));
        assert!(matches!(
            Amount::parse_kronor("."),
            Err(AmountError::Invalid(_))
        ));
        assert!(matches!(
            Amount::parse_kronor("99999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(ore in -10_000_000_000_000i64..10_000_000_000_000i64) {
            let a = Amount(ore);
            prop_assert_eq!(Amount::parse_kronor(&a.to_string()), Ok(a));
        }
    }
}
